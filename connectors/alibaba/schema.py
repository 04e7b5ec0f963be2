"""The Schema flow's two XML documents, shared by the client (builds) and the sandbox
(renders and checks), so both read the same rules.

- The **rendered schema** (`alibaba.icbu.product.schema.render` answers it in `data`): one
  `<field id name type>` per form field of a category, with `<rules>` (requiredRule,
  maxLengthRule, maxCountRule, imageRule), `<options>` for choices and `<fields>` for the
  children of a complex field.
- The **`<itemSchema>` document** sent to `schema.add` / `schema.update`: the same field ids
  and types with their values, in the form each type requires (observed, see
  docs/marketplaces/alibaba.md): `input`/`singleCheck` one `<value>`; `multiInput`/
  `multiCheck` `<values><value/>…</values>`; `complex` one `<complex-value>`;
  `multiComplex` one `<complex-values>` per entry; images
  `<value fileFlag="yes" fileId="…">url</value>` per image. Text is XML-escaped by the
  writer, so an HTML description arrives entity-encoded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

SINGLE = frozenset({"input", "singleCheck"})
MULTI = frozenset({"multiInput", "multiCheck"})
COMPLEX, MULTI_COMPLEX = "complex", "multiComplex"


@dataclass(frozen=True)
class Image:
    """One image value: the photobank file id and its URL."""

    file_id: str
    url: str


@dataclass(frozen=True)
class SchemaField:
    """One field of a rendered schema."""

    id: str
    name: str
    type: str
    required: bool = False
    max_length: int | None = None
    max_count: int | None = None
    image: bool = False  # values are photobank images
    options: tuple[tuple[str, str], ...] = ()  # (value, displayName)
    children: tuple[SchemaField, ...] = ()

    def option_value(self, display_name: str) -> str | None:
        """The option value shown as `display_name` (case-insensitive), or None."""
        wanted = display_name.casefold()
        return next((v for v, name in self.options if name.casefold() == wanted), None)

    def option_name(self, value: str) -> str | None:
        """The display name of option `value`, or None."""
        return next((name for v, name in self.options if v == value), None)


@dataclass(frozen=True)
class ItemSchema:
    """A category's rendered schema: its fields by id, in form order."""

    fields: dict[str, SchemaField] = field(default_factory=dict)

    def by_name(self, name: str) -> SchemaField | None:
        """The field labelled `name` (case-insensitive), or None."""
        wanted = name.casefold()
        return next((f for f in self.fields.values() if f.name.casefold() == wanted), None)

    def to_xml(self) -> str:
        """The rendered schema as schema.render answers it."""
        root = ET.Element("itemSchema")
        for spec in self.fields.values():
            root.append(_spec_element(spec))
        return ET.tostring(root, encoding="unicode")

    @classmethod
    def from_xml(cls, text: str) -> ItemSchema:
        """Parse a rendered schema; ValueError when it is not one."""
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise ValueError(f"rendered schema is not XML ({exc})") from None
        if root.tag != "itemSchema":
            raise ValueError(f"rendered schema root is <{root.tag}>, not <itemSchema>")
        specs = [_parse_spec(el) for el in root.findall("field")]
        return cls({spec.id: spec for spec in specs})


def _spec_element(spec: SchemaField) -> ET.Element:
    el = ET.Element("field", {"id": spec.id, "name": spec.name, "type": spec.type})
    rules = ET.SubElement(el, "rules")
    for name, value in (
        ("requiredRule", "true" if spec.required else None),
        ("maxLengthRule", spec.max_length),
        ("maxCountRule", spec.max_count),
        ("imageRule", "photobank" if spec.image else None),
    ):
        if value is not None:
            ET.SubElement(rules, "rule", {"name": name, "value": str(value)})
    if spec.options:
        options = ET.SubElement(el, "options")
        for value, name in spec.options:
            ET.SubElement(options, "option", {"displayName": name, "value": value})
    if spec.children:
        children = ET.SubElement(el, "fields")
        children.extend(_spec_element(child) for child in spec.children)
    return el


def _parse_spec(el: ET.Element) -> SchemaField:
    rules = {r.get("name", ""): r.get("value", "") for r in el.findall("rules/rule")}
    return SchemaField(
        id=el.get("id", ""),
        name=el.get("name", ""),
        type=el.get("type", "input"),
        required=rules.get("requiredRule") == "true",
        max_length=int(rules["maxLengthRule"]) if "maxLengthRule" in rules else None,
        max_count=int(rules["maxCountRule"]) if "maxCountRule" in rules else None,
        image="imageRule" in rules,
        options=tuple(
            (o.get("value", ""), o.get("displayName", "")) for o in el.findall("options/option")
        ),
        children=tuple(_parse_spec(child) for child in el.findall("fields/field")),
    )


# -- the <itemSchema> document -----------------------------------------------------------------

Value = Any  # str | list[str] | list[Image] | dict[str, Value] | list[dict[str, Value]]


def document_xml(schema: ItemSchema, values: dict[str, Value]) -> str:
    """The `<itemSchema>` document for `values` (field id -> value), typed by `schema`.

    KeyError names a field id the schema does not have (a bug in the caller).
    """
    root = ET.Element("itemSchema")
    for field_id, value in values.items():
        root.append(_value_element(schema.fields[field_id], value))
    return ET.tostring(root, encoding="unicode")


def _value_element(spec: SchemaField, value: Value) -> ET.Element:
    el = ET.Element("field", {"id": spec.id, "type": spec.type})
    children = {child.id: child for child in spec.children}
    if spec.image:
        for image in value:
            attrs = {"fileFlag": "yes", "fileId": image.file_id}
            ET.SubElement(el, "value", attrs).text = image.url
    elif spec.type in SINGLE:
        ET.SubElement(el, "value").text = str(value)
    elif spec.type in MULTI:
        values = ET.SubElement(el, "values")
        for item in value:
            ET.SubElement(values, "value").text = str(item)
    elif spec.type == COMPLEX:
        holder = ET.SubElement(el, "complex-value")
        holder.extend(_value_element(children[k], v) for k, v in value.items())
    else:  # multiComplex: one <complex-values> per entry
        for entry in value:
            holder = ET.SubElement(el, "complex-values")
            holder.extend(_value_element(children[k], v) for k, v in entry.items())
    return el


def parse_document(text: str, schema: ItemSchema) -> tuple[dict[str, Value], list[str]]:
    """An `<itemSchema>` document's values, and every way it breaks the schema's forms
    (unknown ids, wrong types, single vs multiple values, images without a file id)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return {}, [f"the document is not XML ({exc})"]
    if root.tag != "itemSchema":
        return {}, [f"the document root is <{root.tag}>, not <itemSchema>"]
    problems: list[str] = []
    return _parse_fields(root.findall("field"), schema.fields, problems, ""), problems


def _parse_fields(
    elements: list[ET.Element], specs: dict[str, SchemaField], problems: list[str], where: str
) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for el in elements:
        field_id = el.get("id", "")
        spec = specs.get(field_id)
        path = where + field_id
        if spec is None:
            problems.append(f"field {path}: not in the category's schema")
        elif el.get("type") != spec.type:
            problems.append(f"field {path}: type {el.get('type')!r}, the schema says {spec.type!r}")
        else:
            values[field_id] = _parse_value(el, spec, problems, path)
    return values


def _parse_value(el: ET.Element, spec: SchemaField, problems: list[str], path: str) -> Value:
    children = {child.id: child for child in spec.children}
    if spec.image:
        images = []
        for v in el.findall("value"):
            if v.get("fileFlag") != "yes" or not v.get("fileId"):
                problems.append(f'field {path}: an image needs fileFlag="yes" and its fileId')
            images.append(Image(v.get("fileId", ""), (v.text or "").strip()))
        return images
    if spec.type in SINGLE:
        found = el.findall("value")
        if len(found) != 1 or el.find("values") is not None:
            problems.append(f"field {path}: {spec.type} takes exactly one <value>")
        return (found[0].text or "") if found else ""
    if spec.type in MULTI:
        holder = el.find("values")
        if holder is None or el.find("value") is not None:
            problems.append(f"field {path}: {spec.type} takes <values><value/>…</values>")
            return []
        return [v.text or "" for v in holder.findall("value")]
    if spec.type == COMPLEX:
        holders = el.findall("complex-value")
        if len(holders) != 1 or el.find("complex-values") is not None:
            problems.append(f"field {path}: complex takes one <complex-value>")
            return {}
        return _parse_fields(holders[0].findall("field"), children, problems, path + ".")
    if el.find("complex-value") is not None:
        problems.append(f"field {path}: multiComplex takes <complex-values>, not <complex-value>")
    return [
        _parse_fields(holder.findall("field"), children, problems, f"{path}[{i}].")
        for i, holder in enumerate(el.findall("complex-values"))
    ]


def rule_problems(schema: ItemSchema, values: dict[str, Value], *, partial: bool) -> list[str]:
    """Every rendered rule `values` breaks: required (unless `partial`), lengths, counts,
    options. Form problems are parse_document's."""
    return _rule_problems(schema.fields, values, partial, "")


def _rule_problems(
    specs: dict[str, SchemaField], values: dict[str, Value], partial: bool, where: str
) -> list[str]:
    problems: list[str] = []
    for spec in specs.values():
        path, value = where + spec.id, values.get(spec.id)
        if value in (None, "", [], {}):
            if spec.required and not partial:
                problems.append(f"field {path} ({spec.name}) is required")
            continue
        items = value if isinstance(value, list) else [value]
        if spec.max_count is not None and len(items) > spec.max_count:
            problems.append(f"field {path} takes at most {spec.max_count} values, got {len(items)}")
        for item in items:
            if isinstance(item, str) and spec.max_length and len(item) > spec.max_length:
                problems.append(
                    f"field {path} must be at most {spec.max_length} characters, got {len(item)}"
                )
            if spec.options and isinstance(item, str) and spec.option_name(item) is None:
                problems.append(f"field {path}: {item!r} is not one of its options")
            if isinstance(item, dict):
                children = {child.id: child for child in spec.children}
                problems += _rule_problems(children, item, False, path + ".")
    return problems
