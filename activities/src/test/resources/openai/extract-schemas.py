#!/usr/bin/env python3
"""Extracts the schemas our client must honour from OpenAI's published OpenAPI spec.

Usage (from the repository root, with the spec at ../shared/reference/openai-openapi.yaml):
    python3 activities/src/test/resources/openai/extract-schemas.py \
        ../shared/reference/openai-openapi.yaml activities/src/test/resources/openai/schemas.json

Keeps the named schemas and every schema they reference, so that the contract test does not need
the whole 3 MB spec. Needs PyYAML.
"""
import json
import sys

import yaml

ROOTS = [
    # What we send.
    "CreateFineTuningJobRequest",
    "CreateChatCompletionRequest",
    # What we read: the mocks' answers are checked against these.
    "ErrorResponse",
    "FineTuningJob",
    "ListFineTuningJobCheckpointsResponse",
]


def refs(node, out):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            out.add(ref.rsplit("/", 1)[1])
        for v in node.values():
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def main(spec_path, out_path):
    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    schemas = spec["components"]["schemas"]
    keep, todo = set(), list(ROOTS)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        found = set()
        refs(schemas[name], found)
        todo.extend(found - keep)
    subset = {
        "info": "Subset of OpenAI's OpenAPI spec " + spec["info"]["version"] + " (MIT, see LICENSE)",
        "components": {"schemas": {n: schemas[n] for n in sorted(keep)}},
    }
    with open(out_path, "w") as f:
        json.dump(subset, f, indent=1, sort_keys=True, default=str)
    print(f"{len(keep)} schemas written to {out_path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
