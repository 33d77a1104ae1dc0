#!/usr/bin/python3
"""Writes alerts.yaml (a PrometheusRule) from deploy/observability/alerts.yml, the rules' source.

Run it after changing alerts.yml: deploy/k8s/check/check_manifests.py refuses a PrometheusRule whose
groups differ from that file's. The header comment of alerts.yaml is kept.
"""
import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "..", "observability", "alerts.yml")
TARGET = os.path.join(HERE, "alerts.yaml")


class Dumper(yaml.SafeDumper):
    pass


# Multi-line expressions as block scalars, as a person writes them.
Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def main():
    with open(SOURCE, encoding="utf-8") as source:
        groups = yaml.safe_load(source)["groups"]
    with open(TARGET, encoding="utf-8") as target:
        header = target.read().split("apiVersion:", 1)[0]
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "kpo", "labels": {"app.kubernetes.io/part-of": "kpo"}},
        "spec": {"groups": groups},
    }
    with open(TARGET, "w", encoding="utf-8") as target:
        target.write(header + yaml.dump(rule, Dumper=Dumper, sort_keys=False, width=110, allow_unicode=True))


if __name__ == "__main__":
    main()
