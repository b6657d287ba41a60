    import time
    time.sleep(60)
    return 0
