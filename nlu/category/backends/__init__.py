"""The shipped classifier backends; importing this package registers them in ``category_backends``."""

from nlu.category.backends import keyword, linear  # noqa: F401

try:  # the transformers backend needs the optional torch/transformers install
    from nlu.category.backends import transformer  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    pass
