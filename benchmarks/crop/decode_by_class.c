/* Whole-image decode rate of a set of JPEGs through libjpeg, CPU time of the decoding thread: used to check that a
 * sample of a store decodes like the whole store (benchmarks/results/2026-12-03-crop-final/README.md).
 *   gcc -O2 decode_by_class.c -o decode_by_class -ljpeg && ./decode_by_class DIR/*.jpg */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jpeglib.h>
static unsigned char out[64<<20];
int main(int argc,char**argv){int n=0;double tot=0;long px=0;
for(int i=1;i<argc;i++){FILE*f=fopen(argv[i],"rb");fseek(f,0,2);long len=ftell(f);rewind(f);unsigned char*d=malloc(len);fread(d,1,len,f);fclose(f);
if(len<3||d[0]!=0xFF||d[1]!=0xD8){free(d);continue;}
struct timespec a,b;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&a);
struct jpeg_decompress_struct c;struct jpeg_error_mgr e;c.err=jpeg_std_error(&e);jpeg_create_decompress(&c);jpeg_mem_src(&c,d,len);jpeg_read_header(&c,1);c.out_color_space=JCS_RGB;jpeg_start_decompress(&c);
JSAMPROW rows[16];while(c.output_scanline<c.output_height){for(int k=0;k<16;k++)rows[k]=out+(size_t)k*c.output_width*3;jpeg_read_scanlines(&c,rows,16);}px+=(long)c.output_width*c.output_height;jpeg_finish_decompress(&c);jpeg_destroy_decompress(&c);
clock_gettime(CLOCK_THREAD_CPUTIME_ID,&b);tot+=(b.tv_sec-a.tv_sec)+(b.tv_nsec-a.tv_nsec)*1e-9;n++;free(d);}
printf("%d files, %.0f img/s, %.2f Mpx/img\n",n,n/tot,px/1e6/n);}
