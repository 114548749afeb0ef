/**
 * k8s-aai-sync: keeps ONAP A&AI in step with the live readiness of the
 * Kubernetes resources that k8splugin's Resource Bundle instances created.
 *
 * @module
 */
export type {
  KubeObject,
  Readiness,
  Rule,
  RuleContext,
  RuleOptions,
  Verdict,
} from "./rules/types.ts";
