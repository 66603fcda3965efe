/** CSS modules (Vite): class names by key. */
declare module '*.module.css' {
  const classes: Record<string, string>;
  export default classes;
}
