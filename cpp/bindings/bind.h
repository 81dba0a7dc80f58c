// Helpers shared by the binding files: structs are bound field by field (def_readwrite);
// pointer fields cross as integer addresses (NumPy .ctypes.data, torch .data_ptr()) and
// enum fields as their integer codes (validated again in src/dispatch.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <new>
#include <type_traits>

#include "softent/ops.h"

namespace softent::bind {

namespace py = pybind11;

// A pointer field as an int property (0 = null).
template <typename C, typename Ptr>
void def_address(py::class_<C>& cls, const char* name, Ptr C::* field, const char* doc) {
  static_assert(std::is_pointer_v<Ptr>);
  cls.def_property(
      name, [field](const C& c) { return reinterpret_cast<std::uintptr_t>(c.*field); },
      [field](C& c, std::uintptr_t address) { c.*field = reinterpret_cast<Ptr>(address); }, doc);
}

// An enum field as an int property.
template <typename C, typename E>
void def_code(py::class_<C>& cls, const char* name, E C::* field, const char* doc) {
  static_assert(std::is_enum_v<E>);
  using U = std::underlying_type_t<E>;
  cls.def_property(
      name, [field](const C& c) { return static_cast<U>(c.*field); },
      [field](C& c, U code) { c.*field = static_cast<E>(code); }, doc);
}

// Runs op() without the GIL; if the interrupt poll stopped it, raises the Python exception
// the signal handler left (KeyboardInterrupt on Ctrl-C); a failed allocation is a
// MemoryError naming the op and what to shrink (`advice`).
template <typename Op>
auto call_released(const char* name, const char* advice, Op&& op) {
  using R = decltype(op());
  bool stopped = false, out_of_memory = false;
  {
    py::gil_scoped_release release;
    try {
      if constexpr (std::is_void_v<R>) {
        op();
      } else {
        return op();
      }
    } catch (const Interrupted&) {
      stopped = true;
    } catch (const std::bad_alloc&) {
      out_of_memory = true;
    }
  }
  if (stopped) throw py::error_already_set();
  if (out_of_memory) {
    PyErr_Format(PyExc_MemoryError, "softent._core.%s: out of memory for the kernel's buffers (%s)",
                 name, advice);
    throw py::error_already_set();
  }
  if constexpr (!std::is_void_v<R>) return R{};
}

void bind_soft(py::module_& m);
void bind_discrete(py::module_& m);
void bind_knn(py::module_& m);
void bind_pid(py::module_& m);
void bind_spectral(py::module_& m);

}  // namespace softent::bind
