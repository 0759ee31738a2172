#pragma once
// WindowGlfw: the kiosk's one window (GLFW + OpenGL 3, or OpenGL ES 3) with the Dear
// ImGui platform and renderer backends. Owned by the app loop, main thread only, except Wake(),
// which any thread may call to end a WaitEvents().
//  [X] Undecorated full-screen window on the primary monitor, or a window of a given size.
//  [X] Event-driven: WaitEvents() sleeps until input, Wake() or the timeout.
//  [X] Keyboard input (characters, Enter, Tab) with times, for the keyboard-wedge detector.
//  [X] Screenshots by glReadPixels.
//  [X] The font atlas as a one-channel texture where the driver can swizzle (a quarter of the
//      backend's RGBA texture: 0.75 MB less at 1024x600).
//  [ ] Multi-touch gestures: X11 delivers a touchscreen as a pointer, which is all the UI uses.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kiosk/core/result.hpp"

struct GLFWwindow;

namespace kiosk::platform {

// True in a KIOSK_GLES build. A function, not a macro in this header: only the window's own
// file is compiled with KIOSK_GLES, and every file must see the same WindowOptions.
bool GlesByDefault();

struct WindowOptions {
  int width = 0;            // 0: the monitor's size (full screen)
  int height = 0;
  bool fullscreen = true;   // undecorated, covering the primary monitor
  std::string title = "Showroom Kiosk";
  // An OpenGL ES 3.0 context and "#version 300 es" shaders instead of desktop OpenGL 3.0, for
  // boards whose driver offers only GLES. The KIOSK_GLES build option makes it the default.
  bool gles = GlesByDefault();
};

class WindowGlfw {
 public:
  // Creates the window, the GL context and the ImGui backends. ImGui's context must exist.
  static Result<std::unique_ptr<WindowGlfw>> Create(const WindowOptions& options);
  ~WindowGlfw();
  WindowGlfw(const WindowGlfw&) = delete;
  WindowGlfw& operator=(const WindowGlfw&) = delete;

  bool ShouldClose() const;
  std::string GlVersion() const;  // "4.5 (Compatibility Profile) Mesa 22.3.6", "OpenGL ES 3.2 Mesa ..."
  void WaitEvents(double timeout_s);  // timeout_s < 0: until an event or Wake()
  void PollEvents();
  void Wake();  // thread-safe

  void NewFrame();  // backends' NewFrame; call before ImGui::NewFrame()
  void Render();    // draws ImGui's draw data into the back buffer
  void Swap();
  // The back buffer as RGBA rows, top row first.
  bool ReadPixels(std::vector<uint8_t>& rgba, int& width, int& height);

  int Width() const;   // framebuffer size in pixels
  int Height() const;
  bool TakeActivity();  // any touch, mouse or key since the last call
  // Characters and Enter/Tab keys since the last call, for the keyboard-wedge detector
  // (kiosk/core/scan): a scanner in keyboard mode types into this window.
  struct KeyInput {
    char32_t codepoint = 0;  // 0 for Enter/Tab
    bool enter = false;
    bool tab = false;
    int64_t time_ms = 0;     // glfwGetTime, in ms
  };
  std::vector<KeyInput> TakeKeys();
  int64_t TimeMs() const;  // the clock of KeyInput::time_ms

  // GLFW callbacks (C functions) forward here; public only for them.
  void OnInput() { m_activity = true; }
  void OnChar(unsigned int codepoint);
  void OnKey(bool enter, bool tab);

 private:
  WindowGlfw() = default;
  void UseOneChannelFontTexture();
  GLFWwindow* m_window = nullptr;
  bool m_imgui_glfw = false;
  bool m_imgui_gl = false;
  unsigned m_font_texture = 0;  // our one-channel copy of the font atlas, once it replaced the backend's
  bool m_font_replaced = false;
  std::atomic<bool> m_activity{false};
  std::vector<KeyInput> m_keys;
};

}  // namespace kiosk::platform
