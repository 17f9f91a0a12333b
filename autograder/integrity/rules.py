"""The rules table of the static scan: the kinds of flag and the names each rule looks for.

The rules look for *changing* the grader's tools, not using them: ``np.allclose(a, b)`` is fine,
``np.allclose = ...`` is flagged; einsum, ``np.dot``, ``x * (x > 0)`` and plain numpy are never
flagged. Kinds (``KINDS`` describes each):

    monkeypatch      assigning / setattr / deleting attributes of numpy, builtins, IPython, math
                     or the test helpers (backprop_course.checks, .gradcheck, ...), replacing
                     modules in sys.modules, rebinding through globals()
    ipython hook     input transformers, AST transformers, set_custom_exc, showtraceback or
                     run_cell overrides, event callbacks, %config, loading a custom extension
    always-equal     a class whose __eq__ (or another comparison) returns a constant
    secret path      a path naming the course's secrets (gradebook.db, source/, solutions/,
                     autograded/, nbgrader_config.py, reference_lib) or leaving the submission
                     (``..``, absolute paths, walking up from __file__), read or written
    grader import    importing nbgrader, the autograder, the reference library or sqlite3, or
                     loading code from a file path (spec_from_file_location, runpy, %run, %load)
    network          socket, urllib, http, requests and friends
    environment      reading environment variables, the user, host, cwd, argv, parent pid
    introspection    sys._getframe, inspect's frames, frame attributes, gc referrers,
                     settrace, replacing __code__ / __class__, sys hooks
    native code      ctypes, cffi
    exit             os._exit, sys.exit, exit(), quit(), os.abort, os.kill, raise SystemExit
    process          subprocess, os.system / popen / fork / exec*, multiprocessing, pty, shell
                     escapes (``!cmd``) and script cell magics (``%%bash``)
    dynamic code     exec, eval, compile, __import__
    hard-coded       a literal table of non-integer numbers inside a library function
    edited file      a file the grader replaces with its own copy differs from it
    edited test cell a locked notebook cell whose source no longer matches its checksum
    symlink          a symbolic link in the submission (never followed or copied)
    shadowing        a top-level numpy.py, IPython/, sitecustomize.py... that an import would pick
"""

KINDS = {
    "monkeypatch": "changes numpy, builtins, IPython or the test helpers that grading relies on",
    "ipython hook": "changes how IPython runs or reports later cells (the test cells)",
    "always-equal": "defines a comparison that ignores its operands, so == checks always pass",
    "secret path": "names a path to the course's secrets or outside the submission",
    "grader import": "imports the grader, the reference or the gradebook, or loads code by path",
    "network": "uses the network",
    "environment": "inspects the grading environment (variables, user, host, cwd, argv)",
    "introspection": "inspects or rewrites its callers (frames, tracebacks, code objects)",
    "native code": "calls native code directly",
    "exit": "ends the kernel process",
    "process": "starts other processes or shell commands",
    "dynamic code": "runs code built at run time, which a static scan cannot see",
    "hard-coded": "contains a literal table of many numbers, e.g. copied expected outputs",
    "edited file": "edited a file the grader replaces with its own copy",
    "edited test cell": "edited a locked cell of the notebook (the grader restores it)",
    "symlink": "contains a symbolic link (the grader does not follow it)",
    "shadowing": "a top-level file or folder named like an installed module (numpy.py, ...)",
    "missing canary": "a test cell reported no error but never reached its end",
}

# Modules (or attribute names on the way to them) whose attributes student code must not change.
PROTECTED_ROOTS = {"numpy", "builtins", "__builtins__", "IPython", "math", "nbgrader", "unittest",
                   "pytest", "operator", "backprop_course"}
PROTECTED_PARTS = {"np", "numpy", "checks", "gradcheck", "builtins", "__builtins__"}
IPYTHON_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
                 "ast_transformers", "set_custom_exc", "register_transformer", "custom_exceptions",
                 "showtraceback", "_showtraceback", "showsyntaxerror", "run_cell", "run_cell_async",
                 "run_ast_nodes", "run_code", "transform_cell", "set_hook", "CustomTB",
                 "InteractiveTB", "SyntaxTB", "register_magic_function", "events"}
SAFE_EXTENSIONS = {"autoreload", "ipywidgets", "ipympl", "matplotlib"}

# Each with everything under it (the grader is a subpackage of the machinery students import).
GRADER_MODULES = {"nbgrader", "backprop_course.autograder", "reference_lib", "solutions", "sqlite3",
                  "dbm", "shelve"}
NETWORK_MODULES = {"socket", "urllib", "http", "requests", "httpx", "aiohttp", "ftplib", "smtplib",
                   "telnetlib", "xmlrpc", "websocket", "websockets", "paramiko", "ssl", "poplib",
                   "imaplib", "nntplib", "urllib3", "zmq", "asyncssh", "pycurl"}
PROCESS_MODULES = {"subprocess", "multiprocessing", "pty", "pexpect", "sh", "plumbum"}
NATIVE_MODULES = {"ctypes", "_ctypes", "cffi"}
ENV_PROBES = {"os.getenv", "os.environ", "os.getlogin", "os.getuid", "os.geteuid", "os.getppid",
              "os.getcwd", "os.getcwdb", "os.uname", "getpass.getuser", "socket.gethostname",
              "platform.node", "platform.uname", "sys.argv", "sys.orig_argv", "pathlib.Path.cwd",
              "pathlib.Path.home", "os.path.expanduser"}
ENV_MODULES = {"pwd", "grp", "psutil"}
# Frame objects, not tracebacks: traceback.extract_tb(err.__traceback__) to say where student code
# failed is honest (the checks do it); walking to a caller's frame to read or change it is not.
FRAME_ATTRS = {"f_back", "f_locals", "f_globals", "f_builtins", "f_code", "tb_frame", "gi_frame",
               "cr_frame"}
INTROSPECTION_CALLS = {"sys._getframe", "sys._current_frames", "inspect.currentframe",
                       "inspect.stack", "inspect.trace", "inspect.getouterframes",
                       "inspect.getinnerframes", "gc.get_referrers", "gc.get_referents",
                       "gc.get_objects", "sys.settrace", "sys.setprofile", "threading.settrace",
                       "sys.addaudithook", "sys.call_tracing"}
REBOUND_SYS = {"sys.excepthook", "sys.displayhook", "sys.meta_path", "sys.path_hooks",
               "sys.modules", "sys.stdout", "sys.stderr", "sys.breakpointhook"}
EXIT_CALLS = {"os._exit", "sys.exit", "exit", "quit", "os.abort", "os.kill", "os.killpg",
              "signal.raise_signal", "signal.pthread_kill", "builtins.exit"}
PROCESS_CALLS = {"os.system", "os.popen", "os.fork", "os.forkpty", "os.posix_spawn",
                 "os.posix_spawnp", "os.startfile"}
DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__", "builtins.exec", "builtins.eval"}
LOAD_BY_PATH = {"importlib.util.spec_from_file_location", "importlib.machinery.SourceFileLoader",
                "importlib.machinery.SourcelessFileLoader", "runpy.run_path", "runpy.run_module",
                "zipimport.zipimporter"}
# Calls whose string arguments are paths, and which of them write.
PATH_CALLS = {"open", "io.open", "os.open", "pathlib.Path", "pathlib.PurePath", "os.listdir",
              "os.scandir", "os.walk", "os.stat", "os.path.join", "os.path.exists", "os.path.isfile",
              "os.path.isdir", "os.chdir", "glob.glob", "glob.iglob", "numpy.load", "numpy.loadtxt",
              "numpy.genfromtxt", "numpy.fromfile", "json.load", "pickle.load", "sqlite3.connect",
              "os.path.abspath", "os.path.realpath", "importlib.import_module"}
WRITE_CALLS = {"os.remove", "os.unlink", "os.rename", "os.replace", "os.rmdir", "os.removedirs",
               "os.makedirs", "os.mkdir", "os.chmod", "os.chown", "os.symlink", "os.link",
               "os.truncate", "os.utime", "shutil.copy", "shutil.copy2", "shutil.copyfile",
               "shutil.copytree", "shutil.move", "shutil.rmtree", "numpy.save", "numpy.savez",
               "numpy.savetxt", "sqlite3.connect"}
WRITE_METHODS = {"write_text", "write_bytes", "unlink", "rmdir", "rename", "replace", "touch",
                 "mkdir", "chmod", "symlink_to", "hardlink_to"}
COMPARISONS = {"__eq__": True, "__ne__": False, "__lt__": None, "__le__": None, "__gt__": None,
               "__ge__": None}
HARD_CODED_FLOATS = 4  # this many non-integer literals in one list/tuple display of library code
EVIDENCE_CHARS = 120
