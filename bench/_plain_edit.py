"""Baseline for bench/cli_startup.py: the same file edit as `zen config use NAME`
with nothing but argparse and json (no validation, no lock)."""

import argparse
import json
import os
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument("path")
parser.add_argument("name")
args = parser.parse_args()
with open(args.path) as handle:
    doc = json.load(handle)
doc["storage"]["type"] = "redis"
doc["storage"]["redis"]["default"] = args.name
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(args.path))
with os.fdopen(fd, "w") as handle:
    json.dump(doc, handle, indent=2)
os.replace(tmp, args.path)
