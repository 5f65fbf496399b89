<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>sm::ui::GeneratePanel</name>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="53"/>
        <source>%1 %2/%3</source>
        <translation>%1 %2/%3</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="54"/>
        <source> · %1 per step</source>
        <translation> · 每步 %1</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="55"/>
        <source> · %1 left</source>
        <translation> · 剩余 %1</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="59"/>
        <source>Warning: %1</source>
        <translation>警告：%1</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="63"/>
        <source>Failed.</source>
        <translation>失败。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="68"/>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="81"/>
        <source>File...</source>
        <translation>文件...</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="84"/>
        <source>Choose a model file</source>
        <translation>选择模型文件</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="85"/>
        <source>Model weights (*.safetensors *.ckpt *.pt *.pth *.bin)</source>
        <translation>模型权重 (*.safetensors *.ckpt *.pt *.pth *.bin)</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="90"/>
        <source>Folder...</source>
        <translation>文件夹...</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="93"/>
        <source>Choose a diffusers folder</source>
        <translation>选择 diffusers 文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="104"/>
        <source>SD 1.5 checkpoint or diffusers folder</source>
        <translation>SD 1.5 检查点或 diffusers 文件夹</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="105"/>
        <source>Base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="107"/>
        <source>AnimateDiff motion module</source>
        <translation>AnimateDiff 运动模块</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="108"/>
        <source>Motion module</source>
        <translation>运动模块</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="111"/>
        <source>a corgi running on the beach, best quality</source>
        <translation>a corgi running on the beach, best quality</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="113"/>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="115"/>
        <source>what to avoid (optional)</source>
        <translation>要避免的内容（可选）</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="116"/>
        <source>Negative prompt</source>
        <translation>反向提示词</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="127"/>
        <source>Beyond the motion module&apos;s 16-frame context, overlapping windows are blended.</source>
        <translation>超过运动模块的 16 帧上下文时，会融合重叠的窗口。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="128"/>
        <source>Frames</source>
        <translation>帧数</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="139"/>
        <source>Size</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="142"/>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="147"/>
        <source>Guidance (CFG)</source>
        <translation>引导系数 (CFG)</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="152"/>
        <source>Sampler</source>
        <translation>采样器</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="154"/>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="156"/>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="160"/>
        <source>Frames per second</source>
        <translation>每秒帧数</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="166"/>
        <source>The Motion Adapter&apos;s scale: 0 is the original motion, 1 static, below 0 more motion. It acts once a Motion Adapter is loaded.</source>
        <translation>运动适配器的缩放：0 为原始运动，1 为静止，小于 0 运动更强。加载运动适配器后生效。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="176"/>
        <source>Motion scale</source>
        <translation>运动缩放</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="178"/>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="179"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="180"/>
        <source>Export...</source>
        <translation>导出...</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="193"/>
        <source>Choose a base model and a motion module, write a prompt, press Generate.</source>
        <translation>选择基础模型和运动模块，输入提示词，然后点击“生成”。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="200"/>
        <source>Export video</source>
        <translation>导出视频</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="201"/>
        <source>MP4 video (*.mp4);;GIF animation (*.gif)</source>
        <translation>MP4 视频 (*.mp4);;GIF 动画 (*.gif)</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="244"/>
        <location filename="../ui/panels/generate_panel.cpp" line="250"/>
        <source>Cannot generate</source>
        <translation>无法生成</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="244"/>
        <source>Choose a base model and a motion module first.</source>
        <translation>请先选择基础模型和运动模块。</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="256"/>
        <source>Generation failed</source>
        <translation>生成失败</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="257"/>
        <source>Loading models...</source>
        <translation>正在加载模型...</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="267"/>
        <source>Done: seed %1 · denoising %2 · decoding %3</source>
        <translation>完成：种子 %1 · 去噪 %2 · 解码 %3</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="282"/>
        <source>Cannot export %1</source>
        <translation>无法导出 %1</translation>
    </message>
    <message>
        <location filename="../ui/panels/generate_panel.cpp" line="293"/>
        <source>Exported %1</source>
        <translation>已导出 %1</translation>
    </message>
</context>
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
        <location filename="../ui/main_window.cpp" line="25"/>
        <source>Still-Moving Studio</source>
        <translation>Still-Moving 工作室</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="27"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="28"/>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="31"/>
        <source>Motion and Spatial Adapter training: loss per step.</source>
        <translation>运动适配器与空间适配器训练：每步损失。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="33"/>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="49"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="50"/>
        <source>Open Model &amp;File...</source>
        <translation>打开模型文件(&amp;F)...</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="51"/>
        <source>Open Model F&amp;older...</source>
        <translation>打开模型文件夹(&amp;O)...</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="53"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="54"/>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="55"/>
        <source>&amp;Preferences...</source>
        <translation>首选项(&amp;P)...</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="59"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="60"/>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="61"/>
        <source>About Still-Moving Studio</source>
        <translation>关于 Still-Moving 工作室</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="62"/>
        <source>Still-Moving Studio %1
Customize text-to-video models without customized video data (Still-Moving, arXiv 2407.08674).</source>
        <translation>Still-Moving 工作室 %1
无需定制视频数据即可定制文本生成视频模型（Still-Moving，arXiv 2407.08674）。</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="70"/>
        <source>Open model file</source>
        <translation>打开模型文件</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="71"/>
        <source>Model weights (*.safetensors *.ckpt *.pt *.pth *.bin);;All files (*)</source>
        <translation>模型权重 (*.safetensors *.ckpt *.pt *.pth *.bin);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="76"/>
        <source>Open diffusers model folder</source>
        <translation>打开 diffusers 模型文件夹</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="81"/>
        <source>Cannot open %1</source>
        <translation>无法打开 %1</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="86"/>
        <source>LibTorch %1 · %2 CPU threads · device: %3</source>
        <translation>LibTorch %1 · %2 个 CPU 线程 · 设备：%3</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="89"/>
        <source>CUDA</source>
        <translation>CUDA</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="89"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
</context>
<context>
    <name>sm::ui::ModelPanel</name>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="18"/>
        <source>Open an SD 1.5 checkpoint, a diffusers folder, an AnimateDiff motion module, a ControlNet or a LoRA (File menu) to see what it holds.</source>
        <translation>通过“文件”菜单打开 SD 1.5 检查点、diffusers 文件夹、AnimateDiff 运动模块、ControlNet 或 LoRA，查看其内容。</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="23"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="23"/>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="67"/>
        <source>naming</source>
        <translation>命名</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="68"/>
        <source>format</source>
        <translation>格式</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="69"/>
        <source>tensors</source>
        <translation>张量</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="70"/>
        <source>parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="73"/>
        <source>dtypes</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="76"/>
        <source>, keys match</source>
        <translation>，键名匹配</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="76"/>
        <source>, keys do not match</source>
        <translation>，键名不匹配</translation>
    </message>
    <message>
        <location filename="../ui/panels/model_panel.cpp" line="77"/>
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
<context>
    <name>sm::ui::VideoPreview</name>
    <message>
        <location filename="../ui/widgets/video_preview.cpp" line="21"/>
        <source>The generated video plays here.</source>
        <translation>生成的视频在此播放。</translation>
    </message>
    <message>
        <location filename="../ui/widgets/video_preview.cpp" line="23"/>
        <location filename="../ui/widgets/video_preview.cpp" line="69"/>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <location filename="../ui/widgets/video_preview.cpp" line="69"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
</context>
</TS>
