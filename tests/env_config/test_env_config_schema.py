"""environments/schema.json is the single description of every key: closed objects, a description
per key, and every environment file declares it for editors."""

from __future__ import annotations

import json

import jsonschema

import env_config
from env_config import schema


def walk(node, where="(root)"):
    """Every object schema of the document with its path (properties, maps, items, if/then)."""
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield where, node
        for key, child in node.get("properties", {}).items():
            yield from walk(child, f"{where}.{key}")
        for keyword in ("items", "additionalProperties", "then", "else", "if", "not"):
            if isinstance(node.get(keyword), dict):
                yield from walk(node[keyword], f"{where}/{keyword}")
        for index, child in enumerate(node.get("allOf", [])):
            yield from walk(child, f"{where}/allOf[{index}]")


def test_the_schema_is_valid_draft_2020_12():
    document = schema.load_schema()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)


def test_every_object_is_closed_and_every_key_described():
    document = schema.load_schema()
    open_objects, undescribed = [], []
    for where, node in walk(document):
        closed = node.get("additionalProperties")
        is_map = isinstance(closed, dict) and "type" in closed  # names chosen by the user
        free_form = "x-free-form" in node  # says why (AWS's own response shapes)
        if closed is not False and not is_map and not free_form:
            open_objects.append(where)
        for key, child in node.get("properties", {}).items():
            if "description" not in child:
                undescribed.append(f"{where}.{key}")
    assert open_objects == []
    assert undescribed == []


def test_every_environment_file_names_the_schema_for_editors_and_passes_it():
    for name in env_config.available_environments():
        path = env_config.ENVIRONMENTS_DIR / f"{name}.yaml"
        assert path.read_text().splitlines()[0] == "# yaml-language-server: $schema=schema.json"
        assert schema.schema_line(path) == "schema.json"
        assert schema.problems(env_config.load(name).raw) == []


def test_the_schema_describes_every_key_the_files_use():
    """A key added to a file but not to the schema is refused (additionalProperties: false), so
    this also holds for keys other changes add; here: every key present is described."""
    document = schema.load_schema()

    def keys(node, prefix=()):
        for key, value in node.items():
            yield (*prefix, key)
            if isinstance(value, dict):
                yield from keys(value, (*prefix, key))

    for name in env_config.available_environments():
        for path in keys(env_config.load(name).raw):
            described = schema.subschema_at(document, path).get("description")
            assert described or path[0] == "local_runner", (name, path)


def test_pipeline_parameters_are_marked_on_their_keys():
    marked = json.dumps(schema.load_schema()).count('"x-pipeline-parameter"')
    assert marked == 12  # InputDataUri ... L2Regularization: docs/interfaces.md's parameters
