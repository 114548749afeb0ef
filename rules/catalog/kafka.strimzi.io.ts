/**
 * Strimzi (`kafka.strimzi.io`): Kafka, KafkaTopic, KafkaUser, KafkaConnect.
 * Strimzi writes one condition `Ready=True`, or `NotReady=True` with the
 * exception as reason (`InvalidResourceException`,
 * `InvalidConfigurationException`…), and `ReconciliationPaused=True` for the
 * `strimzi.io/pause-reconciliation` annotation; from strimzi-kafka-operator
 * `api/.../status/Condition.java` and its documentation ("Checking the status
 * of a custom resource").
 *
 * @module
 */
import type { CatalogFamily, CatalogKind } from "../catalog_schema.ts";

function strimzi(kind: string): CatalogKind {
  return {
    kind,
    source:
      "strimzi-kafka-operator api/src/main/java/io/strimzi/api/kafka/model/common/Condition.java; documentation/modules/con-custom-resources-status.adoc",
    health: ["Ready"],
    failed: [{
      reason: "InvalidResource",
      condition: "NotReady",
      status: "True",
      reasons: [
        "InvalidResourceException",
        "InvalidConfigurationException",
        "InvalidConfigParameterException",
      ],
    }, {
      // The operator gave up waiting for its pods (5 minutes by default).
      reason: "TimeoutException",
      condition: "NotReady",
      status: "True",
      reasons: ["TimeoutException"],
    }],
    stopped: [{
      reason: "ReconciliationPaused",
      condition: "ReconciliationPaused",
      status: "True",
    }],
    progress: [{ reason: "NotReady", condition: "NotReady", status: "True" }],
  };
}

/** Strimzi. */
export const STRIMZI: CatalogFamily = {
  family: "Strimzi Kafka",
  group: "kafka.strimzi.io",
  disagreements:
    "kstatus and the generic rule do not know the negative `NotReady` condition and call a Kafka without `Ready` Current; Argo CD calls every `NotReady` Degraded, also while the cluster is being created",
  kinds: [
    strimzi("Kafka"),
    strimzi("KafkaTopic"),
    strimzi("KafkaUser"),
    strimzi("KafkaConnect"),
  ],
};
