#!/usr/bin/env python3
"""Regenerate generator/aws_provider_schema.tsv, tapgen's copy of the whole hashicorp/aws schema.

usage: python tools/update_provider_schema.py [--wheel PATH] [--output PATH]

The schema comes from the PyPI package cdktn-provider-aws (MPL-2.0), whose wheel embeds the
jsii assembly generated from ``terraform providers schema -json`` for one hashicorp/aws release.
Each resource's config struct in that assembly lists exactly the arguments a user can set
(computed-only attributes are not in it), each with the registry link naming its Terraform
argument, and nested blocks are documented as "<name> block.".

Every resource and data-source type is kept, trimmed to what the conformance check reads:
argument names with their required flag, and nested blocks with their min/max counts. The file
is one JSON line of provenance, then one line per type, ``KIND<TAB>TYPE<TAB>JSON`` (KIND is
``resource`` or ``data``), sorted: tapgen indexes the lines by their first two fields and parses
a type's JSON only when a block of that type is checked, so a render reads the schemas of the
~50 types it uses, not all ~2,400.

Standard library only; the assembly is ~150 MB of JSON, so this takes a few seconds.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE, PACKAGE_VERSION = "cdktn-provider-aws", "25.8.1"
PROVIDER = "registry.terraform.io/hashicorp/aws"
ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "generator" / "aws_provider_schema.tsv"

# "Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/6.69.1/docs/resources/vpc aws_vpc}."
TYPE_LINK = re.compile(r"\{@link https://registry\.terraform\.io/providers/hashicorp/aws/([^/]+)/docs/"
                       r"(?:resources|data-sources)/\S+ (\w+)\}")
# "Docs at Terraform Registry: {@link https://.../docs/resources/vpc#cidr_block Vpc#cidr_block}"
ARGUMENT_LINK = re.compile(r"registry\.terraform\.io/providers/hashicorp/aws/[^/\s]+/docs/[^#\s]*#(\w+)")
BLOCK_SUMMARY = re.compile(r"[a-z0-9_]+ block\.")
# A block whose contents the assembly does not describe: anything may be written in it.
OPEN = {"attributes": {}, "blocks": {}, "open": True}
KINDS = {"cdktn.TerraformResource": "resource", "cdktn.TerraformDataSource": "data"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--wheel", type=Path, help=f"a local {PACKAGE} {PACKAGE_VERSION} wheel "
                        "(default: download it with pip)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: %(default)s")
    args = parser.parse_args(argv)

    if args.wheel:
        assembly, package = read_wheel(args.wheel)
    else:
        with tempfile.TemporaryDirectory() as folder:
            assembly, package = read_wheel(download(Path(folder)))
    provenance, schemas = build(assembly, package)
    args.output.write_text(serialize(provenance, schemas), encoding="utf-8")
    counts = {kind: sum(1 for k, _ in schemas if k == kind) for kind in KINDS.values()}
    print(f"{args.output}: hashicorp/aws {provenance['provider_version']}, "
          f"{counts['resource']} resources, {counts['data']} data sources")
    return 0


def serialize(provenance: dict, schemas: dict[tuple[str, str], dict]) -> str:
    lines = [json.dumps(provenance, sort_keys=True)]
    lines += [f"{kind}\t{name}\t{json.dumps(schemas[kind, name], sort_keys=True, separators=(',', ':'))}"
              for kind, name in sorted(schemas)]
    return "\n".join(lines) + "\n"


def download(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--disable-pip-version-check", f"{PACKAGE}=={PACKAGE_VERSION}", "-d", str(folder)],
                   check=True)
    [wheel] = folder.glob("*.whl")
    return wheel


def read_wheel(wheel: Path) -> tuple[dict, dict]:
    """The jsii assembly and the npm package.json inside the wheel's embedded npm tarball."""
    with zipfile.ZipFile(wheel) as archive:
        [tarball] = [n for n in archive.namelist() if n.endswith(".jsii.tgz")]
        data = archive.read(tarball)
    found: dict[str, dict] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar:
            if member.name in ("package/.jsii", "package/package.json"):
                found[member.name] = json.load(tar.extractfile(member))
    return found["package/.jsii"], found["package/package.json"]


def build(assembly: dict, package: dict) -> tuple[dict, dict[tuple[str, str], dict]]:
    """The provenance, and every type's block schema keyed by (kind, type name)."""
    # package.json records the provider the bindings were generated from, e.g.
    # "cdktn": {"provider": {"name": "registry.terraform.io/hashicorp/aws", "version": "6.69.1"}}
    provider = package["cdktn"]["provider"]
    if provider["name"] != PROVIDER or package["version"] != PACKAGE_VERSION:
        sys.exit(f"unexpected package: {package['name']} {package['version']} for {provider['name']}")
    types = Types(assembly["types"])
    schemas: dict[tuple[str, str], dict] = {}
    for fqn, entry in assembly["types"].items():
        kind = KINDS.get(entry.get("base", ""))
        if kind is None:
            continue
        link = TYPE_LINK.search(entry["docs"]["summary"])
        if link is None or link[1] != provider["version"]:
            sys.exit(f"{fqn}: no registry link for hashicorp/aws {provider['version']}")
        [config] = [p for p in entry["initializer"]["parameters"] if p["name"] == "config"]
        schemas[kind, link[2]] = types.block(config["type"]["fqn"])
    provenance = {
        "provider": PROVIDER,
        "provider_version": provider["version"],
        "source": f"{PACKAGE} {PACKAGE_VERSION} (PyPI, MPL-2.0)",
        "generated_by": "tools/update_provider_schema.py",
    }
    return provenance, schemas


class Types:
    """Reads config structs of the jsii assembly as Terraform blocks."""

    def __init__(self, types: dict):
        self.types = types

    def block(self, fqn: str, outer: tuple[str, ...] = ()) -> dict:
        """``{"attributes": {name: {"required"}}, "blocks": {name: {"min_items", "max_items", "block"}}}``.

        A struct nested in itself (cdktn reuses one for a recursive schema, such as WAF rule
        statements), and a block cdktn leaves untyped, is ``OPEN``: its contents are not checked.
        """
        if fqn in outer:
            return OPEN
        attributes, blocks = {}, {}
        for prop in self.properties(fqn):
            docs = prop.get("docs", {})
            links = ARGUMENT_LINK.findall(f"{docs.get('summary', '')} {docs.get('remarks', '')}")
            if not links:
                sys.exit(f"{fqn}.{prop['name']}: no registry link to name its argument")
            name, required = links[-1], not prop.get("optional", False)
            struct, many = self.struct_of(prop["type"])
            # object-typed attributes are structs too; only blocks are documented as "<name> block."
            is_block = BLOCK_SUMMARY.fullmatch(docs.get("summary", ""))
            if struct and is_block:
                blocks[name] = {"min_items": int(required), "max_items": 0 if many else 1,
                                "block": self.block(struct, (*outer, fqn))}
            elif is_block:  # untyped in cdktn (WAF rule statements, QuickSight definitions)
                blocks[name] = {"min_items": int(required), "max_items": 0, "block": OPEN}
            else:
                attributes[name] = {"required": required}
                if many:  # a list of objects, which Terraform also takes written as blocks
                    attributes[name]["as_blocks"] = self.as_blocks(struct, (*outer, fqn))
        return {"attributes": attributes, "blocks": blocks}

    def as_blocks(self, fqn: str, outer: tuple[str, ...]) -> dict:
        """The block schema Terraform gives a list-of-objects attribute written as blocks.

        See https://developer.hashicorp.com/terraform/language/attr-as-blocks: every field is
        optional then. (cdktn does not tell these SDKv2 attributes from plugin-framework nested
        attributes, which take no block syntax; the types tapgen uses have only the former.)
        """
        block = self.block(fqn, outer)
        for field in block["attributes"].values():
            field["required"] = False
        return block

    def properties(self, fqn: str) -> list[dict]:
        """A struct's properties, with those it inherits from structs of this assembly.

        Those from cdktn itself (count, for_each, lifecycle, ...) are Terraform meta-arguments.
        """
        entry = self.types[fqn]
        inherited = [p for base in entry.get("interfaces", []) if base in self.types
                     for p in self.properties(base)]
        return inherited + entry.get("properties", [])

    def struct_of(self, jsii_type: dict) -> tuple[str | None, bool]:
        """The struct a property holds, if any, and whether it holds a list of them."""
        if "union" in jsii_type:  # "T | IResolvable": the second arm is for Terraform expressions
            [jsii_type] = [t for t in jsii_type["union"]["types"] if t.get("fqn") != "cdktn.IResolvable"]
        many = jsii_type.get("collection", {}).get("kind") == "array"
        if many:
            jsii_type = jsii_type["collection"]["elementtype"]
        fqn = jsii_type.get("fqn")
        if fqn in self.types and self.types[fqn]["kind"] == "interface":
            return fqn, many
        return None, False


if __name__ == "__main__":
    sys.exit(main())
