//===- ONNXTextParser.cpp - ONNX's text syntax, exceptions contained ------===//
//
// Compiled with -fexceptions (see CMakeLists.txt); nothing else is.
//
//===----------------------------------------------------------------------===//

#include "ONNXTextParser.h"

#include <onnx/defs/parser.h>

#include <exception>

namespace quant_eval::onnx_import {

bool parseONNXText(const std::string &text, onnx::ModelProto &model,
                   std::string &error) {
  try {
    onnx::Common::Status status = onnx::OnnxParser::Parse(model, text.c_str());
    if (status.IsOK())
      return true;
    error = status.ErrorMessage();
  } catch (const std::exception &e) {
    error = std::string("malformed text (") + e.what() + ")";
  } catch (...) {
    error = "malformed text";
  }
  return false;
}

} // namespace quant_eval::onnx_import
