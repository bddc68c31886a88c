# The name pytest gives tests/integration/local_aws.py, for mypy (see [tool.mypy] in pyproject.toml).
from integration.local_aws import *
