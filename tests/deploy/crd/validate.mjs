// Validate custom resources read as JSON lines on stdin against the schemas that
// @kubernetes-models generates from KEDA's and prometheus-operator's own API types. Prints one
// JSON line per resource: {"kind", "name", "ok", "error"}. Unknown kinds are an error, never a
// silent pass.
import { createInterface } from "node:readline";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";

const MODELS = {
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const doc = JSON.parse(line);
  const key = `${doc.apiVersion}/${doc.kind}`;
  const Model = MODELS[key];
  const report = { kind: key, name: doc.metadata?.name ?? null, ok: false, error: null };
  if (!Model) {
    report.error = `no schema for ${key}`;
  } else {
    try {
      new Model(doc).validate();
      report.ok = true;
    } catch (err) {
      report.error = String(err.message ?? err);
    }
  }
  console.log(JSON.stringify(report));
}
