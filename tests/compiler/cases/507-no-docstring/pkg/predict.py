def inference(parameters, inputs, output_fields, model_key, model=None):
    return inputs, model
