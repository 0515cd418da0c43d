"""TF-Agents integration: TRPOAgent, its policies, and a gymnasium → PyEnvironment adapter.

The only part of trpo_tf that imports tf_agents. TF-Agents 0.19 cannot be resolved
by pip against this stack; `make train`/`make test` install it with
  pip install --no-deps tf-agents==0.19.0 gym==0.23.0 gin-config==0.5.0
and TF_USE_LEGACY_KERAS=1 must be set before TensorFlow is imported (TF-Agents'
own networks break on Keras 3; ours are Keras 3 through `import keras`, which
the variable does not touch).
"""

import os

_HOW = ("trpo_tf.tf_agents needs TF-Agents 0.19: run `make test` (or `pip install --no-deps "
        "tf-agents==0.19.0 gym==0.23.0 gin-config==0.5.0`) and set TF_USE_LEGACY_KERAS=1 before "
        "importing TensorFlow")

try:
  import tf_agents  # noqa: F401
except ImportError as e:
  raise ImportError(_HOW) from e
if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
  raise ImportError(_HOW + " (TF_USE_LEGACY_KERAS is not set to 1)")

from trpo_tf.tf_agents.agent import TRPOAgent, TRPOLossExtra, TRPOLossTerms  # noqa: E402,F401
from trpo_tf.tf_agents.environment import GymnasiumEnvironment  # noqa: E402,F401
from trpo_tf.tf_agents.networks import categorical_projection_net  # noqa: E402,F401
from trpo_tf.tf_agents.policies import TRPOCollectPolicy  # noqa: E402,F401
