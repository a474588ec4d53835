// Reads a JSON array of YAML documents on stdin and validates each ApplicationSet against the
// schema of Argo CD's CRD, as compiled by @kubernetes-models/argo-cd. Argument: the
// node_modules folder holding it. Any other kind of document is an error: argocd/ holds
// ApplicationSets only. Prints one line per finding; exit 1 on any.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const url = pathToFileURL(path.join(modules, "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet.js"));
const { ApplicationSet } = await import(url.href);
const docs = JSON.parse(fs.readFileSync(0, "utf8")).filter((d) => d !== null);
let failed = 0;
for (const d of docs) {
  const name = `${d?.kind ?? "?"}/${d?.metadata?.name ?? "?"}`;
  if (d?.apiVersion !== "argoproj.io/v1alpha1" || d?.kind !== "ApplicationSet") {
    console.log(`${name}: not an argoproj.io/v1alpha1 ApplicationSet`);
    failed++;
    continue;
  }
  try {
    new ApplicationSet(d).validate();
  } catch (e) {
    console.log(`${name}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
