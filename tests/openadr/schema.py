"""Validate OpenADR 3 requests and responses against the OpenAPI YAML with `jsonschema`.

The OpenAPI 3.0 dialect is converted to JSON Schema (nullable -> a null type, discriminator
and example dropped). One defect of the 3.1.0 YAML is patched, openly: its server `ven` and
`resource` are `allOf` metadata (objectType VEN/RESOURCE) and the BL request (objectType
BL_*_REQUEST), which no object can satisfy; the BL part's objectType is dropped there.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC_DIR = Path(__file__).parent / "spec"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        raise ValueError(f"not RFC 3339: {value}")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _convert(value)
        for key, value in node.items()
        if key not in {"discriminator", "example", "nullable"}
    }
    for bound, exclusive in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
        if isinstance(out.get(exclusive), bool):  # OpenAPI 3.0: a flag on the bound
            flag = out.pop(exclusive)
            if flag and bound in out:
                out[exclusive] = out.pop(bound)
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Operation:
    """One documented operation."""

    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]


class Spec:
    """The operations and schemas of one OpenADR version."""

    def __init__(self, version: str) -> None:
        text = (SPEC_DIR / f"openadr3-{version}.yaml").read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        self.version = version
        self.root = _convert(raw)
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}
        schemas = self.root["components"]["schemas"]
        if version == "3.1.0":
            for server, request in (("ven", "BlVenRequest"), ("resource", "BlResourceRequest")):
                patched = copy.deepcopy(schemas[request])
                patched["properties"].pop("objectType")
                patched["required"].remove("objectType")
                schemas[f"{request}Stored"] = patched
                schemas[server]["allOf"][1] = {"$ref": f"#/components/schemas/{request}Stored"}
        self.operations: list[Operation] = []
        for template, item in raw["paths"].items():
            regex = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            for method, spec in item.items():
                if method != "parameters":
                    self.operations.append(
                        Operation(method.upper(), template, re.compile(regex), spec)
                    )

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation a request addresses (None: not in the specification)."""
        for operation in self.operations:
            if operation.method == method and operation.pattern.match(path):
                return operation
        return None

    def _validate(self, schema: dict[str, Any], instance: Any) -> list[str]:
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            document = {**self.root, **_convert(schema)}
            validator = jsonschema.Draft202012Validator(document, format_checker=FORMATS)
            self._validators[key] = validator
        return [
            f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
            for error in validator.iter_errors(instance)
        ]

    def check_schema(self, name: str, instance: Any) -> list[str]:
        """Errors of an instance of `components/schemas/<name>`."""
        return self._validate({"$ref": f"#/components/schemas/{name}"}, instance)

    def check_request(self, operation: Operation, media: str, body: Any) -> list[str]:
        """Errors of a request body (empty: valid)."""
        content = operation.spec.get("requestBody", {}).get("content", {})
        if media not in content:
            return [] if body is None else [f"no {media} body expected"]
        return self._validate(content[media]["schema"], body)

    def check_response(self, operation: Operation, status: int, body: Any) -> list[str]:
        """Errors of a response (undocumented statuses other than 401 are errors)."""
        response = operation.spec["responses"].get(str(status))
        if response is None:
            return [] if status == 401 else [f"undocumented status {status}"]
        if "$ref" in response:
            response = self.root["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        content = response.get("content", {}).get("application/json")
        if content is None:
            return []
        return self._validate(content["schema"], body)


@cache
def spec(version: str) -> Spec:
    """The parsed specification of a version (cached)."""
    return Spec(version)
