// wrangler.toml's Text rule: importing a .txt or .md file gives its contents as a string, in the
// Worker and in the vitest pool (which reads the same rules).
declare module "*.txt" {
  const text: string;
  export default text;
}
declare module "*.md" {
  const text: string;
  export default text;
}
