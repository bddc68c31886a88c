# The name pytest gives tests/integration/test_local_aws_uploaders.py, for mypy (see [tool.mypy]
# in pyproject.toml).
from integration.test_local_aws_uploaders import *
