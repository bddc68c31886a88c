# What pytest names test_local_aws_uploaders (tests/integration/), for mypy: see [tool.mypy].
from integration.test_local_aws_uploaders import TAG_KEY as TAG_KEY
from integration.test_local_aws_uploaders import isolation_policy as isolation_policy
