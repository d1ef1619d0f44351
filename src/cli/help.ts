/**
 * `--help` text, generated from the flag table so it documents every flag.
 * @module
 */
import { envName, FLAGS } from "./flag_table.ts";

/** The full usage text printed by `--help`, `-h` and `help`. */
export function helpText(): string {
  const lines = [
    "serval-k8s-gateway: a Kubernetes Gateway API gateway that serves HTTP/HTTPS itself",
    "",
    "Usage:",
    "  serval-k8s-gateway [run] [flags]        serve traffic (default command)",
    "  serval-k8s-gateway translate PATH...    offline: print the compiled config, certificates",
    "                                          (without keys), statuses and problems as JSON;",
    "                                          exit 1 on problems, 2 on usage errors",
    "  serval-k8s-gateway version              print the version",
    "  serval-k8s-gateway --help | -h          this text",
    "",
    "Flags (every flag also reads SERVAL_<FLAG_NAME>, e.g. SERVAL_ADMIN_ADDR; flags win):",
  ];
  const heads = FLAGS.map((f) => `  --${f.name}${f.placeholder ? ` ${f.placeholder}` : ""}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  FLAGS.forEach((flag, i) => {
    lines.push(heads[i].padEnd(width) + flag.help);
    const extra = [
      flag.defaultText ? `default ${flag.defaultText}` : undefined,
      `env ${envName(flag.name)}`,
    ].filter(Boolean).join("; ");
    lines.push(" ".repeat(width) + extra);
  });
  lines.push(
    "",
    "Durations: 500ms, 15s, 1m30s, 2h.  Exit codes: 0 ok, 1 failure/problems, 2 usage error.",
  );
  return lines.join("\n");
}
