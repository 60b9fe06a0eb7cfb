"""Models: what train, export, evaluate and serve share about a model.

Base-model resolution (`base`), the tiny offline default (`tiny_base`, `tiny_corpus`), our
chat format and tool-call parsing (`chat_format`), loading and greedy generation (`loading`),
folding an adapter into its base (`merge`) and what a MODEL argument names (`refs`).
Stages import from here; nothing here imports a stage.
"""
