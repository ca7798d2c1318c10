@echo on
:: Generated from recipe.yaml by tools/conda/generate_meta_yaml.py; do not edit.
set "CMAKE_GENERATOR=Ninja"
set "SETUPTOOLS_SCM_PRETEND_VERSION=%PKG_VERSION%"
set "CMAKE_GENERATOR_PLATFORM="
set "CMAKE_GENERATOR_TOOLSET="
python -m pip install . -vv --no-deps --no-build-isolation
if errorlevel 1 exit 1
for /d %%d in ("%SP_DIR%\h5linalg-*.dist-info") do del /q "%%d\direct_url.json"
if errorlevel 1 exit 1
