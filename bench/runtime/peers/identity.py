"""A do-nothing inference function: mlcc-runtime serving it costs what the runtime itself costs.

Compared with the bare Starlette echo, it isolates the runtime's overhead (decode, contract check,
the executor hop, encode, metrics) from the model's (the Iris pipeline).
"""


def inference(parameters, inputs, output_fields, model_key, model=None):
    """Give the inputs back.

    :param inputs.features: any four numbers
    :type inputs.features: FP32
    :param outputs.features: the same numbers
    :type outputs.features: FP32
    """
    return [dict(tensor) for tensor in inputs], model
