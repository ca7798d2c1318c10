"""Stand-ins for what these machines cannot reach (conda-forge, GitHub, the
manylinux images): see README.md here for each one and when it can go."""
