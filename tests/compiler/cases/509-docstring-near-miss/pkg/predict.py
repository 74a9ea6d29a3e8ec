"""Entry point of a test module (never imported by mlcc lint)."""


def inference(parameters, inputs, output_fields, model_key, model=None):
    """Echo the text.

    :param input.text: the text  # expect: MLCC509 (did you mean `:param inputs.text:`?)
    :type input.text: str  # expect: MLCC509
    :param parameters.lang: not a contract line, and nothing like one
    :params outputs.y: the same text  # expect: MLCC509 (did you mean `:param outputs.y:`?)
    :type outputs.y: str
    """
    return inputs, model
