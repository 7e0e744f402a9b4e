// The bench's synthetic search corpus (bench/README.md "search"): shared by the seeding Worker,
// which writes the messages, and the `search` scenario, which asks for them, so queries hit real
// words in known proportions. Plain TypeScript (types only), so Node runs it as is.

/** mulberry32, as bench/scenarios/common.mjs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ONSETS = ["b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr", "pl", "gr"];
const VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "é"];

/** 5,000 distinct pronounceable words; rank 0 is the most frequent (Zipf, s = 1). */
export const VOCABULARY: readonly string[] = (() => {
  const rand = prng(5000);
  const seen = new Set<string>();
  while (seen.size < 5000) {
    const syllables = 2 + Math.floor(rand() * 3);
    let w = "";
    for (let i = 0; i < syllables; i++) w += `${ONSETS[Math.floor(rand() * ONSETS.length)]}${VOWELS[Math.floor(rand() * VOWELS.length)]}`;
    seen.add(w);
  }
  return [...seen];
})();

/** Chinese, Japanese and Korean words, for the CJK share of messages. */
export const CJK_WORDS: readonly string[] = [
  "東京",
  "会議",
  "大阪",
  "資料",
  "開発",
  "予定",
  "北京",
  "上海",
  "项目",
  "会议",
  "测试",
  "发布",
  "서울",
  "회의",
  "일정",
  "개발",
];

const HARMONIC = VOCABULARY.reduce((sum, _, i) => sum + 1 / (i + 1), 0);
const CUMULATIVE = (() => {
  const out = new Float64Array(VOCABULARY.length);
  let acc = 0;
  for (let i = 0; i < VOCABULARY.length; i++) out[i] = acc += 1 / (i + 1) / HARMONIC;
  return out;
})();

/** A word drawn by Zipf frequency. */
export function zipfWord(rand: () => number): string {
  const x = rand();
  let lo = 0;
  let hi = CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((CUMULATIVE[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo] as string;
}

/** One message: 6 to 20 Zipf words; 10% with a CJK sentence, 5% with a link. */
export function messageText(rand: () => number): string {
  const n = 6 + Math.floor(rand() * 15);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(zipfWord(rand));
  if (rand() < 0.1) {
    const k = 2 + Math.floor(rand() * 3);
    let sentence = "";
    for (let i = 0; i < k; i++) sentence += CJK_WORDS[Math.floor(rand() * CJK_WORDS.length)];
    words.splice(Math.floor(rand() * words.length), 0, sentence);
  }
  if (rand() < 0.05) words.push(`https://example.com/${Math.floor(rand() * 1e6)}`);
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
