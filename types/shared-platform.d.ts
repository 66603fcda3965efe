/**
 * The web-platform globals shared/ may use: those both of its runtimes provide (Node ≥ 20 and
 * browsers). Only tsconfig.shared.json includes this file; the renderer and server configs get
 * the real declarations from the DOM library and @types/node.
 */
declare class URL {
  constructor(url: string, base?: string | URL);
  readonly hostname: string;
  readonly href: string;
  readonly pathname: string;
  readonly protocol: string;
  toString(): string;
}
