#!/usr/bin/python3
"""Proves that check_manifests.py can fail: breaks a rendered overlay (stdin) in the ways a hand edit
does and expects each broken copy to be refused with an error naming the broken path, while the
unbroken rendering passes. Exit status 0 when every case behaves, 1 otherwise."""
import copy
import sys

import yaml

import check_manifests


def find(docs, kind, name):
    for doc in docs:
        if doc.get("kind") == kind and doc["metadata"]["name"] == name:
            return doc
    raise KeyError(f"{kind}/{name} is not in the rendered manifests")


def container(doc):
    return doc["spec"]["template"]["spec"]["containers"][0]


def rename(mapping, old, new):
    mapping[new] = mapping.pop(old)


# (what the case breaks, the text an error must contain, how to break a copy of the documents)
CASES = [
    ("misspelled field: replica", "unknown field 'replica'",
     lambda d: rename(find(d, "Deployment", "orders")["spec"], "replicas", "replica")),
    ("misspelled field: httpGett", "unknown field 'httpGett'",
     lambda d: rename(container(find(d, "Deployment", "orders"))["readinessProbe"], "httpGet", "httpGett")),
    ("string where an integer belongs", ".ports[0].containerPort: expected int",
     lambda d: container(find(d, "Deployment", "payments"))["ports"][0].update(containerPort="5002")),
    ("number in a ConfigMap's data", "data.LOG_LEVEL: expected str",
     lambda d: find(d, "ConfigMap", "orders")["data"].update(LOG_LEVEL=3)),
    ("missing required field", "missing required field 'name' of V1Container",
     lambda d: container(find(d, "Deployment", "gateway")).pop("name")),
    ("autoscaler field of another version", "unknown field 'targetCPUUtilizationPercentage'",
     lambda d: find(d, "HorizontalPodAutoscaler", "gateway")["spec"].update(targetCPUUtilizationPercentage=70)),
    ("RabbitmqCluster: string replicas", "spec.replicas: expected int",
     lambda d: find(d, "RabbitmqCluster", "rabbitmq")["spec"].update(replicas="3")),
    ("CloudNativePG Cluster: misspelled field", "unknown field 'instance'",
     lambda d: rename(find(d, "Cluster", "orders-db")["spec"], "instances", "instance")),
    ("app image without its binary", "does not run kpo-gateway",
     lambda d: container(find(d, "Deployment", "gateway")).pop("command")),
    ("app image pinned by digest, without its binary", "does not run kpo-gateway",
     lambda d: container(find(d, "Deployment", "gateway")).update(
         image="registry.example.com:5000/kpo4/app@sha256:" + "0" * 64, command=None)),
    ("app image running another binary", "does not run kpo-payments",
     lambda d: container(find(d, "Deployment", "payments")).update(command=["kpo-orders"])),
    ("PodMonitor: misspelled field", "unknown field 'podMetricEndpoints'",
     lambda d: rename(find(d, "PodMonitor", "kpo-services")["spec"], "podMetricsEndpoints", "podMetricEndpoints")),
    ("alert rules that drifted from alerts.yml", "differ from deploy/observability/alerts.yml",
     lambda d: find(d, "PrometheusRule", "kpo")["spec"]["groups"][0]["rules"][0].update(expr="vector(1)")),
    ("kind without a schema", "no schema for apiVersion 'apps/v1beta1'",
     lambda d: find(d, "Deployment", "orders").update(apiVersion="apps/v1beta1")),
]


def errors_of(docs):
    return [error for doc in docs for error in check_manifests.check_document(doc)]


def main():
    docs = [doc for doc in yaml.safe_load_all(sys.stdin.read()) if doc is not None]
    failed = 0
    if (errors := errors_of(docs)):
        print(f"FAIL the unbroken manifests: {errors}")
        failed += 1
    for what, expected, breaks in CASES:
        broken = copy.deepcopy(docs)
        breaks(broken)
        errors = errors_of(broken)
        if any(expected in error for error in errors):
            print(f"ok   refused: {what}")
        else:
            print(f"FAIL not refused: {what} (expected {expected!r}, got {errors})")
            failed += 1
    # Not worded like a test runner's summary: the README's test command ends with CTest's.
    print(f"manifest checker self-check: {len(CASES) + 1 - failed} of {len(CASES) + 1} cases as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
