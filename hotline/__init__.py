"""12345 hotline intake and triage assistant: the core that ties nlu/, triage/, speech/ and connectors/ together.

`hotline.settings` holds every setting, `hotline.registry` the named components, `hotline.case` the document that
flows through the analysis pipeline and `hotline.pipeline` assembles that pipeline from `config/pipeline.yaml`.
"""

__version__ = "0.1.0"
