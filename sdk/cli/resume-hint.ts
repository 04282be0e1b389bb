/**
 * The command line that resumes an interrupted `matrix run`: the same arguments plus `--resume`,
 * quoted for a POSIX shell so it can be pasted as printed.
 *
 * Where you are: `cli/`.
 */
const SAFE = /^[\w@%+=:,./-]+$/;

function shellQuote(arg: string): string {
  return SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function resumeHint(argv: readonly string[]): string {
  const args = argv.includes("--resume") ? [...argv] : [...argv, "--resume"];
  return ["matrix", ...args].map(shellQuote).join(" ");
}
