    return None
