# Finds LibTorch and defines the imported target sm::torch.
#
# SM_TORCH_ROOT is a folder holding LibTorch's include/ and lib/: either the
# `torch` package folder of the PyPI wheel (what packaging/setup.sh passes) or
# an unpacked official LibTorch zip (`-DSM_TORCH_ROOT=/path/to/libtorch`).
#
# We do not use find_package(Torch): for a CUDA build of LibTorch it insists on
# a matching CUDA toolkit at configure time. We link libtorch_cpu and c10 only;
# core loads libtorch_cuda at run time when it is present and usable
# (core/util/device.cpp), so one build runs on CPU-only and GPU machines.
set(SM_TORCH_ROOT "" CACHE PATH "LibTorch root: folder with include/ and lib/")
if(NOT SM_TORCH_ROOT)
  find_program(SM_PYTHON NAMES python3 python)
  if(SM_PYTHON)
    execute_process(COMMAND ${SM_PYTHON} -c "import torch, os; print(os.path.dirname(torch.__file__))"
                    OUTPUT_VARIABLE _sm_torch_root OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    set(SM_TORCH_ROOT "${_sm_torch_root}" CACHE PATH "" FORCE)
  endif()
endif()
find_library(SM_TORCH_CPU_LIB torch_cpu PATHS ${SM_TORCH_ROOT}/lib NO_DEFAULT_PATH)
find_library(SM_C10_LIB c10 PATHS ${SM_TORCH_ROOT}/lib NO_DEFAULT_PATH)
if(NOT SM_TORCH_CPU_LIB OR NOT SM_C10_LIB OR NOT EXISTS ${SM_TORCH_ROOT}/include/torch/csrc/api/include/torch/torch.h)
  message(FATAL_ERROR "LibTorch not found under SM_TORCH_ROOT='${SM_TORCH_ROOT}'. "
                      "Run packaging/setup.sh, or pass -DSM_TORCH_ROOT=/path/to/libtorch (an unpacked LibTorch zip).")
endif()

# The C++ ABI LibTorch was built with, as its own CMake config records it.
set(_sm_abi 1)
file(GLOB _sm_torch_configs ${SM_TORCH_ROOT}/share/cmake/Torch/TorchConfig.cmake)
if(_sm_torch_configs)
  file(STRINGS ${_sm_torch_configs} _sm_abi_line REGEX "_GLIBCXX_USE_CXX11_ABI=[01]")
  if(_sm_abi_line MATCHES "_GLIBCXX_USE_CXX11_ABI=([01])")
    set(_sm_abi ${CMAKE_MATCH_1})
  endif()
endif()

add_library(sm::torch INTERFACE IMPORTED GLOBAL)
target_include_directories(sm::torch SYSTEM INTERFACE
  ${SM_TORCH_ROOT}/include ${SM_TORCH_ROOT}/include/torch/csrc/api/include)
target_link_libraries(sm::torch INTERFACE ${SM_TORCH_CPU_LIB} ${SM_C10_LIB} ${CMAKE_DL_LIBS})
target_compile_definitions(sm::torch INTERFACE _GLIBCXX_USE_CXX11_ABI=${_sm_abi})
# The wheel's libraries find their siblings through $ORIGIN; our binaries find LibTorch through this rpath.
set(CMAKE_BUILD_RPATH ${SM_TORCH_ROOT}/lib)
set(CMAKE_INSTALL_RPATH ${SM_TORCH_ROOT}/lib)
set(SM_TORCH_LIB_DIR ${SM_TORCH_ROOT}/lib CACHE INTERNAL "")
message(STATUS "LibTorch: ${SM_TORCH_ROOT} (cxx11 abi ${_sm_abi})")
