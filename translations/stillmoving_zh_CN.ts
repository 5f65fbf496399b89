<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>sm::ui::LossPlot</name>
    <message>
        <location filename="../ui/widgets/loss_plot.cpp" line="14"/>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <location filename="../ui/widgets/loss_plot.cpp" line="17"/>
        <source>moving average</source>
        <translation>滑动平均</translation>
    </message>
    <message>
        <location filename="../ui/widgets/loss_plot.cpp" line="19"/>
        <source>step</source>
        <translation>步数</translation>
    </message>
    <message>
        <location filename="../ui/widgets/loss_plot.cpp" line="20"/>
        <source>diffusion loss</source>
        <translation>扩散损失</translation>
    </message>
</context>
<context>
    <name>sm::ui::MainWindow</name>
    <message>
        <location filename="../ui/main_window.cpp" line="23"/>
        <source>Still-Moving Studio</source>
        <translation>Still-Moving 工作室</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="25"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="28"/>
        <source>Motion and Spatial Adapter training: loss per step.</source>
        <translation>运动适配器与空间适配器训练：每步损失。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="30"/>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="39"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="40"/>
        <source>Open Model &amp;File...</source>
        <translation>打开模型文件(&amp;F)...</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="41"/>
        <source>Open Model F&amp;older...</source>
        <translation>打开模型文件夹(&amp;O)...</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="43"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="44"/>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="45"/>
        <source>&amp;Preferences...</source>
        <translation>首选项(&amp;P)...</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="49"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="50"/>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="51"/>
        <source>About Still-Moving Studio</source>
        <translation>关于 Still-Moving 工作室</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="52"/>
        <source>Still-Moving Studio %1
Customize text-to-video models without customized video data (Still-Moving, arXiv 2407.08674).</source>
        <translation>Still-Moving 工作室 %1
无需定制视频数据即可定制文本生成视频模型（Still-Moving，arXiv 2407.08674）。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="60"/>
        <source>Open model file</source>
        <translation>打开模型文件</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="61"/>
        <source>Model weights (*.safetensors *.ckpt *.pt *.pth *.bin);;All files (*)</source>
        <translation>模型权重 (*.safetensors *.ckpt *.pt *.pth *.bin);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="66"/>
        <source>Open diffusers model folder</source>
        <translation>打开 diffusers 模型文件夹</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="71"/>
        <source>Cannot open %1</source>
        <translation>无法打开 %1</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="77"/>
        <source>LibTorch %1 · %2 CPU threads · device: %3</source>
        <translation>LibTorch %1 · %2 个 CPU 线程 · 设备：%3</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="80"/>
        <source>CUDA</source>
        <translation>CUDA</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="80"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
</context>
<context>
    <name>sm::ui::ModelPanel</name>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="17"/>
        <source>Open an SD 1.5 checkpoint, a diffusers folder, an AnimateDiff motion module, a ControlNet or a LoRA (File menu) to see what it holds.</source>
        <translation>通过“文件”菜单打开 SD 1.5 检查点、diffusers 文件夹、AnimateDiff 运动模块、ControlNet 或 LoRA，查看其内容。</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="22"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="22"/>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="66"/>
        <source>naming</source>
        <translation>命名</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="67"/>
        <source>format</source>
        <translation>格式</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="68"/>
        <source>tensors</source>
        <translation>张量</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="69"/>
        <source>parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="72"/>
        <source>dtypes</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="75"/>
        <source>, keys match</source>
        <translation>，键名匹配</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="75"/>
        <source>, keys do not match</source>
        <translation>，键名不匹配</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="76"/>
        <source>component</source>
        <translation>组件</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="77"/>
        <source>%1 tensors</source>
        <translation>%1 个张量</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="80"/>
        <source>note</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>sm::ui::PreferencesDialog</name>
    <message>
        <location filename="../ui/preferences_dialog.cpp" line="13"/>
        <source>Preferences</source>
        <translation>首选项</translation>
    </message>
    <message>
        <location filename="../ui/preferences_dialog.cpp" line="16"/>
        <source>All physical cores (%1)</source>
        <translation>全部物理核心 (%1)</translation>
    </message>
    <message>
        <location filename="../ui/preferences_dialog.cpp" line="18"/>
        <source>CPU threads:</source>
        <translation>CPU 线程：</translation>
    </message>
</context>
</TS>
