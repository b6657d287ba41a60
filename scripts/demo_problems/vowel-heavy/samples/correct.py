    heavy = 0
    for word in sentence.split():
        vowels = consonants = 0
        for ch in word.lower():
            if ch in "aeiou":
                vowels += 1
            elif ch.isalpha():
                consonants += 1
        if vowels > consonants:
            heavy += 1
    return heavy
