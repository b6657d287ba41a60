from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TestSet(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEST_SET_UNSPECIFIED: _ClassVar[TestSet]
    TEST_SET_BASE: _ClassVar[TestSet]
    TEST_SET_PLUS: _ClassVar[TestSet]

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    ACCEPTED: _ClassVar[Verdict]
    WRONG_ANSWER: _ClassVar[Verdict]
    TIME_LIMIT_EXCEEDED: _ClassVar[Verdict]
    MEMORY_LIMIT_EXCEEDED: _ClassVar[Verdict]
    RUNTIME_ERROR: _ClassVar[Verdict]
    COMPILE_ERROR: _ClassVar[Verdict]
    OUTPUT_LIMIT_EXCEEDED: _ClassVar[Verdict]
    SKIPPED: _ClassVar[Verdict]
    INTERNAL_ERROR: _ClassVar[Verdict]
TEST_SET_UNSPECIFIED: TestSet
TEST_SET_BASE: TestSet
TEST_SET_PLUS: TestSet
VERDICT_UNSPECIFIED: Verdict
ACCEPTED: Verdict
WRONG_ANSWER: Verdict
TIME_LIMIT_EXCEEDED: Verdict
MEMORY_LIMIT_EXCEEDED: Verdict
RUNTIME_ERROR: Verdict
COMPILE_ERROR: Verdict
OUTPUT_LIMIT_EXCEEDED: Verdict
SKIPPED: Verdict
INTERNAL_ERROR: Verdict

class GradeRequest(_message.Message):
    __slots__ = ("question_id", "code", "language", "stop_on_first_failure", "request_id", "test_set")
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    STOP_ON_FIRST_FAILURE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEST_SET_FIELD_NUMBER: _ClassVar[int]
    question_id: str
    code: str
    language: str
    stop_on_first_failure: bool
    request_id: str
    test_set: TestSet
    def __init__(self, question_id: _Optional[str] = ..., code: _Optional[str] = ..., language: _Optional[str] = ..., stop_on_first_failure: _Optional[bool] = ..., request_id: _Optional[str] = ..., test_set: _Optional[_Union[TestSet, str]] = ...) -> None: ...

class GradeResponse(_message.Message):
    __slots__ = ("question_id", "verdict", "tests_passed", "tests_total", "pass_rate", "tests", "request_id", "compile_output")
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    TESTS_PASSED_FIELD_NUMBER: _ClassVar[int]
    TESTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    PASS_RATE_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COMPILE_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    question_id: str
    verdict: Verdict
    tests_passed: int
    tests_total: int
    pass_rate: float
    tests: _containers.RepeatedCompositeFieldContainer[TestResult]
    request_id: str
    compile_output: str
    def __init__(self, question_id: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., tests_passed: _Optional[int] = ..., tests_total: _Optional[int] = ..., pass_rate: _Optional[float] = ..., tests: _Optional[_Iterable[_Union[TestResult, _Mapping]]] = ..., request_id: _Optional[str] = ..., compile_output: _Optional[str] = ...) -> None: ...

class TestResult(_message.Message):
    __slots__ = ("index", "verdict", "public", "wall_time_ms", "cpu_time_ms", "peak_memory_kb", "detail")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    WALL_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    CPU_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    PEAK_MEMORY_KB_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    index: int
    verdict: Verdict
    public: bool
    wall_time_ms: float
    cpu_time_ms: float
    peak_memory_kb: int
    detail: str
    def __init__(self, index: _Optional[int] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., public: _Optional[bool] = ..., wall_time_ms: _Optional[float] = ..., cpu_time_ms: _Optional[float] = ..., peak_memory_kb: _Optional[int] = ..., detail: _Optional[str] = ...) -> None: ...

class GradeBatchRequest(_message.Message):
    __slots__ = ("submissions", "ks")
    SUBMISSIONS_FIELD_NUMBER: _ClassVar[int]
    KS_FIELD_NUMBER: _ClassVar[int]
    submissions: _containers.RepeatedCompositeFieldContainer[GradeRequest]
    ks: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, submissions: _Optional[_Iterable[_Union[GradeRequest, _Mapping]]] = ..., ks: _Optional[_Iterable[int]] = ...) -> None: ...

class GradeBatchResponse(_message.Message):
    __slots__ = ("index", "result", "error", "summary")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    index: int
    result: GradeResponse
    error: BatchError
    summary: BatchSummary
    def __init__(self, index: _Optional[int] = ..., result: _Optional[_Union[GradeResponse, _Mapping]] = ..., error: _Optional[_Union[BatchError, _Mapping]] = ..., summary: _Optional[_Union[BatchSummary, _Mapping]] = ...) -> None: ...

class BatchError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class BatchSummary(_message.Message):
    __slots__ = ("graded", "errors", "accepted", "questions", "overall")
    GRADED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    OVERALL_FIELD_NUMBER: _ClassVar[int]
    graded: int
    errors: int
    accepted: int
    questions: _containers.RepeatedCompositeFieldContainer[QuestionPassAtK]
    overall: _containers.RepeatedCompositeFieldContainer[PassAtK]
    def __init__(self, graded: _Optional[int] = ..., errors: _Optional[int] = ..., accepted: _Optional[int] = ..., questions: _Optional[_Iterable[_Union[QuestionPassAtK, _Mapping]]] = ..., overall: _Optional[_Iterable[_Union[PassAtK, _Mapping]]] = ...) -> None: ...

class QuestionPassAtK(_message.Message):
    __slots__ = ("question_id", "samples", "correct", "pass_at_k")
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    CORRECT_FIELD_NUMBER: _ClassVar[int]
    PASS_AT_K_FIELD_NUMBER: _ClassVar[int]
    question_id: str
    samples: int
    correct: int
    pass_at_k: _containers.RepeatedCompositeFieldContainer[PassAtK]
    def __init__(self, question_id: _Optional[str] = ..., samples: _Optional[int] = ..., correct: _Optional[int] = ..., pass_at_k: _Optional[_Iterable[_Union[PassAtK, _Mapping]]] = ...) -> None: ...

class PassAtK(_message.Message):
    __slots__ = ("k", "value")
    K_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    k: int
    value: float
    def __init__(self, k: _Optional[int] = ..., value: _Optional[float] = ...) -> None: ...

class ListQuestionsRequest(_message.Message):
    __slots__ = ("release_date_start", "release_date_end", "page_size", "page_token")
    RELEASE_DATE_START_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DATE_END_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    release_date_start: str
    release_date_end: str
    page_size: int
    page_token: str
    def __init__(self, release_date_start: _Optional[str] = ..., release_date_end: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListQuestionsResponse(_message.Message):
    __slots__ = ("questions", "next_page_token", "bank_size")
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    BANK_SIZE_FIELD_NUMBER: _ClassVar[int]
    questions: _containers.RepeatedCompositeFieldContainer[QuestionSummary]
    next_page_token: str
    bank_size: int
    def __init__(self, questions: _Optional[_Iterable[_Union[QuestionSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., bank_size: _Optional[int] = ...) -> None: ...

class QuestionSummary(_message.Message):
    __slots__ = ("id", "title", "kind", "release_date", "num_public_tests", "num_private_tests", "source")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DATE_FIELD_NUMBER: _ClassVar[int]
    NUM_PUBLIC_TESTS_FIELD_NUMBER: _ClassVar[int]
    NUM_PRIVATE_TESTS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    kind: str
    release_date: str
    num_public_tests: int
    num_private_tests: int
    source: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., kind: _Optional[str] = ..., release_date: _Optional[str] = ..., num_public_tests: _Optional[int] = ..., num_private_tests: _Optional[int] = ..., source: _Optional[str] = ...) -> None: ...

class GetQuestionRequest(_message.Message):
    __slots__ = ("question_id",)
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    question_id: str
    def __init__(self, question_id: _Optional[str] = ...) -> None: ...

class Question(_message.Message):
    __slots__ = ("id", "title", "kind", "release_date", "prompt", "starter_code", "entry_point", "public_tests", "num_private_tests", "limits", "checker", "source", "partial_solution", "task", "category", "num_base_tests")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DATE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    STARTER_CODE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_POINT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_TESTS_FIELD_NUMBER: _ClassVar[int]
    NUM_PRIVATE_TESTS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    CHECKER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_SOLUTION_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    NUM_BASE_TESTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    kind: str
    release_date: str
    prompt: str
    starter_code: str
    entry_point: str
    public_tests: _containers.RepeatedCompositeFieldContainer[PublicTest]
    num_private_tests: int
    limits: Limits
    checker: str
    source: str
    partial_solution: str
    task: str
    category: str
    num_base_tests: int
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., kind: _Optional[str] = ..., release_date: _Optional[str] = ..., prompt: _Optional[str] = ..., starter_code: _Optional[str] = ..., entry_point: _Optional[str] = ..., public_tests: _Optional[_Iterable[_Union[PublicTest, _Mapping]]] = ..., num_private_tests: _Optional[int] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., checker: _Optional[str] = ..., source: _Optional[str] = ..., partial_solution: _Optional[str] = ..., task: _Optional[str] = ..., category: _Optional[str] = ..., num_base_tests: _Optional[int] = ...) -> None: ...

class PublicTest(_message.Message):
    __slots__ = ("input", "output")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    input: str
    output: str
    def __init__(self, input: _Optional[str] = ..., output: _Optional[str] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("time_limit_s", "memory_limit_mb", "output_limit_mb")
    TIME_LIMIT_S_FIELD_NUMBER: _ClassVar[int]
    MEMORY_LIMIT_MB_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_LIMIT_MB_FIELD_NUMBER: _ClassVar[int]
    time_limit_s: float
    memory_limit_mb: int
    output_limit_mb: int
    def __init__(self, time_limit_s: _Optional[float] = ..., memory_limit_mb: _Optional[int] = ..., output_limit_mb: _Optional[int] = ...) -> None: ...
