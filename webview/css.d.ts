// esbuild's `.css` text loader (esbuild.config.mjs) imports a stylesheet as its source text.
declare module '*.css' {
  const text: string;
  export default text;
}
