"""Case classification: which taxonomy leaf (部件 / 事件 / service matter) a citizen's report is about.

Entry points: ``nlu.category.components`` (pipeline components), ``nlu.category.cli`` (commands),
``nlu.category.backend.make_backend`` (a classifier by name).
"""
