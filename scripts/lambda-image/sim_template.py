#!/usr/bin/env python3
"""Writes the templates `sam build` / `sam local invoke` use in scripts/lambda-image.sh: a JSON copy
of infra/template.yaml (its Metadata, so the Dockerfile's own DockerBuildTarget: the binary
compiled in the builder stage) where only these differ, because this machine has no registry and
the function must reach the simulators on the host:
- the build arguments name the local Debian base and the local builder base (BASE_IMAGE,
  BUILDER_IMAGE) and the config baked in as exports.toml (EXPORTS_TOML: the real one for the
  image CI builds and checks, the simulators' one for the sam local invoke run);
- the test seams given as NAME=VALUE (Sheets API, Telegram API and Secrets Manager endpoints) are
  declared, which the real template must never do (SAM passes a function only the variables its
  template declares).
Usage: sim_template.py OUT CONTEXT BASE_IMAGE BUILDER_IMAGE EXPORTS_TOML [NAME=VALUE...]"""

import json
import sys
from pathlib import Path

from cfnlint.decode import decode

out, context, base_image, builder_image, exports_toml, *seams = sys.argv[1:]
template, problems = decode(str(Path(__file__).resolve().parents[2] / "infra" / "template.yaml"))
if problems:
    sys.exit(f"sim_template: cannot read infra/template.yaml: {problems[0]}")
template = json.loads(json.dumps(template))
function = template["Resources"]["ExportSyncFunction"]
function["Metadata"]["DockerContext"] = context
function["Metadata"].setdefault("DockerBuildArgs", {}).update(
    BASE_IMAGE=base_image, BUILDER_IMAGE=builder_image, EXPORTS_TOML=exports_toml
)
variables = function["Properties"]["Environment"]["Variables"]
for seam in seams:
    name, value = seam.split("=", 1)
    variables[name] = value
Path(out).write_text(json.dumps(template, indent=2))
