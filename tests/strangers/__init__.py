"""Models written the way strangers write them: default layer names, `nn.Sequential` indices, functional calls,
`padding='same'`, in-place ReLUs, blocks of their own. Nothing here follows paperverify's naming or imports
`implementations/`; `paperverify check` must line each up with the paper by itself. Each file holds a faithful
model and, beside it, the same model with one planted departure from the paper.
"""
