#!/usr/bin/env bash
# Generated from recipe.yaml by tools/conda/generate_meta_yaml.py; do not edit.
set -euxo pipefail
export CMAKE_GENERATOR="Ninja"
export SETUPTOOLS_SCM_PRETEND_VERSION="${PKG_VERSION}"
python -m pip install . -vv --no-deps --no-build-isolation
rm -f "$SP_DIR"/h5linalg-*.dist-info/direct_url.json
