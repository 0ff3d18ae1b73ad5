// Vite's asset imports: the hashed URL of a file copied into the build.
declare module '*?url' {
  const url: string;
  export default url;
}

interface ImportMetaEnv {
  readonly BASE_URL: string;
}
interface ImportMeta {
  readonly env: ImportMetaEnv;
}
