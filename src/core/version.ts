import pkg from '../../package.json';

/** The product version, from package.json (bundled in). */
export const VERSION: string = pkg.version;
