#!/usr/bin/env python3
"""Compares two renders of taskpod's deployment, object by object: the Helm chart's and kustomize's.

    compare-renders.py HELM.yaml KUSTOMIZE.yaml

Both are multi-document YAML (helm template / kubectl kustomize output). Before comparing, each object is normalized:
- labels and annotations only Helm sets are dropped anywhere they occur (helm.sh/chart, app.kubernetes.io/managed-by,
  app.kubernetes.io/instance, app.kubernetes.io/version, helm.sh/resource-policy, checksum/config), and so are the
  maps they leave empty;
- kustomize's content-hash suffix of generated ConfigMap names (taskpod-config-h9cf6t87k7) is cut, in the name and in
  every reference to it;
- a ConfigMap's *.yaml data entries are compared as parsed YAML, not as text (comments and key order differ);
- lists whose items all have a `name` (env, volumes, volumeMounts, containers, ports) are sorted by name.
Objects are matched by kind and name. Exits 1 listing every difference (kind/name and the path), 0 when equal.
Uses PyYAML (the venv has it through the kubernetes client).
"""
import re
import sys

import yaml

HELM_ONLY_KEYS = {
    "helm.sh/chart",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "helm.sh/resource-policy",
    "checksum/config",
}
# kustomize's name hash: 10 characters of [bcdfghkmt2-9] (consonants and digits that spell no words).
HASH_SUFFIX = re.compile(r"^(?P<base>.+)-[bcdfghkmnt-z2-9]{10}$")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def drop_helm_keys(value):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in HELM_ONLY_KEYS:
                continue
            item = drop_helm_keys(item)
            if key in ("labels", "annotations", "matchLabels") and item == {}:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [drop_helm_keys(item) for item in value]
    return value


def rename(value, names):
    if isinstance(value, dict):
        return {key: rename(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [rename(item, names) for item in value]
    if isinstance(value, str) and value in names:
        return names[value]
    return value


def sort_named_lists(value):
    if isinstance(value, dict):
        return {key: sort_named_lists(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [sort_named_lists(item) for item in value]
        if items and all(isinstance(item, dict) and isinstance(item.get("name"), str) for item in items):
            items.sort(key=lambda item: item["name"])
        return items
    return value


def normalize(docs):
    names = {}
    for doc in docs:
        if doc.get("kind") == "ConfigMap":
            match = HASH_SUFFIX.match(doc["metadata"]["name"])
            if match:
                names[doc["metadata"]["name"]] = match.group("base")
    objects = {}
    for doc in docs:
        doc = sort_named_lists(rename(drop_helm_keys(doc), names))
        if doc.get("kind") == "ConfigMap":
            for key, text in list((doc.get("data") or {}).items()):
                if key.endswith((".yaml", ".yml")):
                    doc["data"][key] = yaml.safe_load(text)
        key = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if key in objects:
            raise SystemExit(f"compare-renders: {key} appears twice in one render")
        objects[key] = doc
    return objects


def differences(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            where = f"{path}.{key}"
            if key not in a:
                yield f"{where}: only in kustomize: {b[key]!r}"
            elif key not in b:
                yield f"{where}: only in helm: {a[key]!r}"
            else:
                yield from differences(a[key], b[key], where)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}[{index}]")
    elif a != b:
        yield f"{path or '.'}: helm {a!r} != kustomize {b!r}"


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    helm, kustomize = normalize(load(argv[1])), normalize(load(argv[2]))
    problems = []
    for key in sorted(set(helm) | set(kustomize)):
        if key not in kustomize:
            problems.append(f"{key}: only in the helm render")
        elif key not in helm:
            problems.append(f"{key}: only in the kustomize render")
        else:
            problems.extend(f"{key}{line}" for line in differences(helm[key], kustomize[key]))
    for line in problems:
        print(f"  {line}")
    print(f"compare-renders: {len(helm)} objects from helm, {len(kustomize)} from kustomize, "
          f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
