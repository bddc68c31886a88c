# What pytest names local_aws (tests/integration/local_aws.py), for mypy: see [tool.mypy].
from integration.local_aws import EXPLICIT_DENY as EXPLICIT_DENY
from integration.local_aws import TAG_KEY as TAG_KEY
from integration.local_aws import LocalAWS as LocalAWS
from integration.local_aws import answers as answers
from integration.local_aws import denied as denied
from integration.local_aws import local_aws_fixture as local_aws_fixture
from integration.local_aws import rendered_policy as rendered_policy
from integration.local_aws import start_server as start_server
from integration.local_aws import stop_server as stop_server
