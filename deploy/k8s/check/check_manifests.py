#!/usr/bin/python3
"""Checks rendered Kubernetes manifests (a YAML stream on stdin or in files) offline, without a cluster.

Built-in kinds are checked against the Kubernetes API schema as Debian's python3-kubernetes carries it:
its model classes are generated from the API server's OpenAPI document, each with `openapi_types`
(field -> type) and `attribute_map` (field -> JSON name), and their constructors refuse a missing
required field. Every mapping is walked: an unknown field (`replica:`, `httpGett:`), a value of the
wrong type (a string where an integer belongs, a number in a ConfigMap's data) or a missing required
field is an error. The custom resources are checked the same way against crd_types.py, written
from the operators' documented API references. A PrometheusRule must carry exactly the groups of
deploy/observability/alerts.yml.

Stricter than the API server in one respect: a resource quantity must be a string ("500m", "1"), as
the schema types it; the server would also take a bare number.

Exit status: 0 when every object passes, 1 otherwise (each error printed as `kind/name: path: what`).
"""
import os
import re
import sys

import yaml
from kubernetes import client

import crd_types

# The kinds the manifests may use, and the model class prefix that describes each API version.
# autoscaling/v2 is autoscaling/v2beta2 promoted unchanged in Kubernetes 1.23; the Debian package
# (Kubernetes 1.22 API) has its schema under the v2beta2 name.
BUILTIN = {
    ("v1", "ConfigMap"): "V1",
    ("v1", "Secret"): "V1",
    ("v1", "Service"): "V1",
    ("apps/v1", "Deployment"): "V1",
    ("policy/v1", "PodDisruptionBudget"): "V1",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "V2beta2",
    ("networking.k8s.io/v1", "Ingress"): "V1",
    ("networking.k8s.io/v1", "NetworkPolicy"): "V1",
}
CUSTOM = {
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): "RabbitmqCluster",
    ("rabbitmq.com/v1beta1", "User"): "RabbitmqUser",
    ("rabbitmq.com/v1beta1", "Permission"): "RabbitmqPermission",
    ("postgresql.cnpg.io/v1", "Cluster"): "CnpgCluster",
    ("monitoring.coreos.com/v1", "PodMonitor"): "PodMonitor",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "PrometheusRule",
}

LIST = re.compile(r"^list\[(.+)\]$")
DICT = re.compile(r"^dict\(str, (.+)\)$")


def model(name):
    """(openapi_types, attribute_map, class or None) of a built-in or custom type."""
    if name in crd_types.TYPES:
        fields = crd_types.TYPES[name]
        return {k: v for k, (v, _) in fields.items()}, {k: k for k in fields}, None
    cls = getattr(client, name, None)
    if cls is None:
        raise KeyError(name)
    return cls.openapi_types, cls.attribute_map, cls


def required_missing(name, cls, value, attributes):
    """Names of required fields absent from `value` (a mapping of JSON names)."""
    if cls is None:
        return [k for k, (_, req) in crd_types.TYPES[name].items() if req and k not in value]
    # The generated constructor raises ValueError for the first required field that is None; fill
    # in what is present (values are not type checked there) and ask until it passes.
    kwargs = {py: value[js] for py, js in attributes.items() if js in value}
    missing = []
    while True:
        try:
            cls(**kwargs)
            return missing
        except ValueError as error:
            found = re.search(r"`(\w+)`, must not be `None`", str(error))
            if not found:
                return missing + [str(error)]
            missing.append(attributes[found.group(1)])
            kwargs[found.group(1)] = "<present>"


# Scalar types of the schema and what a YAML value of each must be.
SCALARS = {
    "str": lambda v: isinstance(v, str),
    "datetime": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    # IntOrString (ports, maxSurge, minAvailable) and free-form objects.
    "object": lambda v: isinstance(v, (int, str, dict, list)) and not isinstance(v, bool),
}


def check(value, type_name, path, errors):
    """Appends to `errors` what is wrong with `value` as a `type_name`."""
    if (inner := LIST.match(type_name)) is not None:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check(item, inner.group(1), f"{path}[{i}]", errors)
        return
    if (inner := DICT.match(type_name)) is not None:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a mapping, got {type(value).__name__}")
            return
        for key, item in value.items():
            check(item, inner.group(1), f"{path}.{key}", errors)
        return
    if type_name in SCALARS:
        if not SCALARS[type_name](value):
            errors.append(f"{path}: expected {type_name}, got {type(value).__name__} {value!r}")
        return
    check_object(value, type_name, path, errors)


def check_object(value, type_name, path, errors):
    if not isinstance(value, dict):
        errors.append(f"{path}: expected a {type_name} mapping, got {type(value).__name__} {value!r}")
        return
    types, attributes, cls = model(type_name)
    by_json = {json_name: py for py, json_name in attributes.items()}
    for key, item in value.items():
        if key not in by_json:
            errors.append(f"{path}: unknown field {key!r} in {type_name}")
            continue
        if item is None:
            continue  # an explicit null is the same as leaving the field out
        check(item, types[by_json[key]], f"{path}.{key}", errors)
    for name in required_missing(type_name, cls, value, attributes):
        errors.append(f"{path}: missing required field {name!r} of {type_name}")


# The three services share one image whose default command runs orders (deploy/Dockerfile): a
# Deployment of that image that does not name its binary runs orders under another name.
APP_IMAGE = "kpo4/app"


def image_name(image):
    """The repository path of an image reference, without registry host, tag or digest:
    registry.example.com:5000/kpo4/app:1.0@sha256:... -> kpo4/app."""
    path = image.split("@", 1)[0]
    last = path.rsplit("/", 1)
    if ":" in last[-1]:  # a tag; a colon before the last slash is a registry's port
        path = path[: path.rindex(":")]
    return "/".join(path.split("/")[-2:])


def check_app_binary(doc):
    """Errors when a Deployment of the shared app image does not run kpo-<its name>."""
    if doc.get("kind") != "Deployment":
        return []
    name = (doc.get("metadata") or {}).get("name")
    errors = []
    containers = (((doc.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    for i, container in enumerate(containers):
        if image_name(container.get("image") or "") != APP_IMAGE:
            continue
        command = container.get("command") or []
        if command[:1] != [f"kpo-{name}"]:
            errors.append(f"spec.template.spec.containers[{i}].command: {command!r} does not run kpo-{name} "
                          f"(the image {APP_IMAGE} runs kpo-orders unless told otherwise)")
    return errors


# The alert rules' source (unit-tested with promtool there); the PrometheusRule carries a copy.
ALERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "observability", "alerts.yml")


def check_alert_rules(doc):
    """Errors when a PrometheusRule's groups are not those of deploy/observability/alerts.yml."""
    if doc.get("kind") != "PrometheusRule":
        return []
    with open(ALERTS, encoding="utf-8") as source:
        expected = yaml.safe_load(source)["groups"]
    if ((doc.get("spec") or {}).get("groups")) == expected:
        return []
    return ["spec.groups differ from deploy/observability/alerts.yml's groups (copy them over)"]


def check_document(doc):
    """Errors of one object, or of its apiVersion/kind when no schema is known for them."""
    if not isinstance(doc, dict):
        return [f"not a Kubernetes object: {doc!r}"]
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in BUILTIN:
        type_name = BUILTIN[key] + key[1]
    elif key in CUSTOM:
        type_name = CUSTOM[key]
    else:
        return [f"no schema for apiVersion {key[0]!r} kind {key[1]!r}: add it to check_manifests.py"]
    errors = []
    check_object(doc, type_name, "", errors)
    if not (doc.get("metadata") or {}).get("name"):
        errors.append("metadata.name is missing")
    return errors + check_app_binary(doc) + check_alert_rules(doc)


def main(paths):
    streams = [sys.stdin.read()] if not paths else [open(p, encoding="utf-8").read() for p in paths]
    failures = 0
    objects = 0
    for text in streams:
        for doc in yaml.safe_load_all(text):
            if doc is None:
                continue
            objects += 1
            name = f"{doc.get('kind', '?')}/{(doc.get('metadata') or {}).get('name', '?')}"
            for error in check_document(doc):
                failures += 1
                print(f"{name}: {error}")
    if objects == 0:
        print("no objects to check")
        return 1
    print(f"{objects} objects checked, {failures} errors")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
